"""Matching what a user typed inside names and codes ("科技" finds 大连某某科技有限公司).

Case matters only for letters that have it: a query of Chinese characters and digits is compared
with plain LIKE, which PostgreSQL runs several times faster than ILIKE (ILIKE lower-cases every
name it scans); a query with Latin letters stays case-insensitive. ``%`` and ``_`` typed by the
user are matched literally.
"""

from __future__ import annotations


def contains_text(column, text: str):
    if text.lower() == text.upper():
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)
