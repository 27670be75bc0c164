"""Extra sections of the monthly briefing, contributed by other domains (属地化, 预警 …).

A domain that wants a section in the briefing writes one function ``(session, month, today) ->
BriefingSection | None`` and adds it to ``crm.services.briefing.EXTRA_SECTIONS`` (one line). The
section is plain data — title, paragraphs, tables of typed columns, notes and an optional sentence
for page 1's 本月综述 — stored in the briefing's JSON under ``sections``; the PDF prints every
section the same way after the fixed ones (numbered 七、八、…), so the PDF never shows what the
JSON does not hold. ``None`` leaves the section out for that month.

This module imports nothing of the briefing, so a domain module may import it freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Cell kinds a section table may use: how the PDF prints a value of that column.
# text: as is; int: 1,234; area: m², no decimals; wan: yuan in 万元 (亿元 from ¥100 m);
# percent: a fraction as 72.3%; points: a change in percentage points, signed.
COLUMN_KINDS = ("text", "int", "area", "wan", "percent", "points")


@dataclass(frozen=True)
class SectionColumn:
    header: str
    kind: str = "text"
    weight: float = 1.0  # share of the table's width, relative to the other columns

    def __post_init__(self):
        if self.kind not in COLUMN_KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass
class SectionTable:
    caption: str
    columns: list[SectionColumn]
    rows: list[list]  # one value per column: str, int, float or None (JSON-ready)
    empty: str = "无。"  # said instead of an empty table

    def as_json(self) -> dict:
        return {
            "caption": self.caption,
            "columns": [{"header": c.header, "kind": c.kind, "weight": c.weight} for c in self.columns],
            "rows": [list(row) for row in self.rows],
            "empty": self.empty,
        }


@dataclass
class BriefingSection:
    key: str  # stable name in the JSON, e.g. "localisation"
    title: str  # the heading without its number, e.g. "属地化注册"
    paragraphs: list[str] = field(default_factory=list)
    tables: list[SectionTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: str = ""  # one sentence for page 1's 本月综述, ending with "。"; "" for none

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "title": self.title,
            "paragraphs": list(self.paragraphs),
            "tables": [t.as_json() for t in self.tables],
            "notes": list(self.notes),
            "summary": self.summary,
        }
