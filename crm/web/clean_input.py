"""Every value of a query string or a submitted form reaches the app already cleaned.

The request class stores its parameters in ``CleanParameters``, which passes each key and value
through ``crm.services.bounds.clean_text``: control characters (but tab and line break) are
removed before any form, page filter, export link or hand-read ``request.form`` sees them, so no
route needs to remember it. JSON bodies are cleaned the same way by the API
(``crm/api/support.py``), uploaded files by the import readers.
"""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from crm.services.bounds import clean_text


class CleanParameters(ImmutableMultiDict):
    def __init__(self, mapping=None):
        if mapping is not None:
            pairs = (
                mapping.items(multi=True)
                if isinstance(mapping, MultiDict)
                else (mapping.items() if isinstance(mapping, dict) else mapping)
            )
            mapping = [(clean_text(key), clean_text(value)) for key, value in pairs]
        super().__init__(mapping)


class CleanRequest(Request):
    parameter_storage_class = CleanParameters


def clean_json(value):
    """A decoded JSON document with every string (keys too) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_json(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): clean_json(item) for key, item in value.items()}
    return value
