"""Escaping text before it enters ReportLab Paragraph markup.

Paragraph parses an XML-like markup (``<font>``, ``<img src=…>``, ``<a href>``…): a company or
building name containing ``<img src="http://…">`` would otherwise make ReportLab fetch a URL and
``<font color=red>`` would restyle the report. Every user-supplied string goes through ``text``
(or ``para``) so it renders literally, character for character.
"""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.platypus import Paragraph


def text(value) -> str:
    """``value`` as Paragraph markup that shows exactly its characters."""
    if value is None:
        return ""
    return escape(str(value), {'"': "&quot;", "'": "&#39;"})


def para(value, style, paragraph=Paragraph) -> Paragraph:
    """A Paragraph (or ``paragraph`` subclass, e.g. kinsoku) of plain, user-supplied text."""
    return paragraph(text(value), style)
