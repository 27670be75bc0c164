"""Escaping text before it enters ReportLab Paragraph markup.

Paragraph parses an XML-like markup (``<font>``, ``<img src=…>``, ``<a href>``…): a company or
building name containing ``<img src="http://…">`` would otherwise make ReportLab fetch a URL and
``<font color=red>`` would restyle the report. Every user-supplied string goes through ``text``
(or ``para``) so it renders literally, character for character — but control characters, which
no input path stores any more and ReportLab's parser may choke on (a value from before then).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph

from crm.services.bounds import clean_text


def text(value) -> str:
    """``value`` as Paragraph markup that shows exactly its characters."""
    if value is None:
        return ""
    return escape(clean_text(str(value)), {'"': "&quot;", "'": "&#39;"})


def para(value, style, paragraph=Paragraph) -> Paragraph:
    """A Paragraph (or ``paragraph`` subclass, e.g. kinsoku) of plain, user-supplied text."""
    return paragraph(text(value), style)
