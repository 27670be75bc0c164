"""The comparison key of a company name: how the duplicate guard decides that two names are the
same company.

One function, used both when a name is stored (the indexed ``name_key`` columns of leads and
companies) and when a typed name is looked up, so the two sides can never normalise differently.
The key is the name after NFKC (full-width letters, digits and brackets become their ASCII
forms), lower case, without any white space, without the legal-form words (有限责任公司, 有限公司,
股份, 集团) and without the bracketed place "(大连)". Names themselves stay stored as typed.
"""

from __future__ import annotations

import unicodedata

# Longest first: 有限责任公司 must go before 有限公司 would leave 责任 behind.
REMOVED_WORDS = ("有限责任公司", "有限公司", "股份", "集团", "(大连)")
KEY_LENGTH = 255


def name_key(name: str | None) -> str:
    text = "".join(unicodedata.normalize("NFKC", name or "").lower().split())
    for word in REMOVED_WORDS:
        text = text.replace(word, "")
    return text[:KEY_LENGTH]


def key_default(source: str):
    """A column default computing the key from the ``source`` column of the same row, so bulk
    inserts that name only the name get their key too (the ORM sets it on assignment)."""

    def default(context) -> str:
        return name_key(context.get_current_parameters().get(source))

    return default
