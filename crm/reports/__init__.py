"""PDF reports with ReportLab: an embedded CJK font, shared styles, tables, charts and page frame.

Builders take plain data (dicts, lists, Decimals) and return the PDF as bytes; they never touch
the database, so a report's numbers are exactly those of the service that produced the data.
"""
