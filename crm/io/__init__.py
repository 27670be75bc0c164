"""Excel and CSV in and out.

Reading (``sniff`` → ``readers`` → ``columns``/``parsers``) turns an uploaded file into parsed rows
with spreadsheet row numbers; each import kind in ``kinds`` (one module per kind, found by a
registry) plans what its rows would change and applies that plan; ``imports`` runs the preview and
the all-or-nothing confirm around an ``ImportBatch``; ``templates`` and ``exports`` write files.
"""
