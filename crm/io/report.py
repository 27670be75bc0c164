"""What a planned import would do: per-row actions, problems with row and column, a digest.

The digest covers every row's action and the database state the planner read (the "before"
values of updates and each kind's extra ``basis``), so confirming can re-plan the stored file and
refuse when anything it depends on has changed since the preview.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

# How many problems and sample rows a preview keeps for display; counts are always exact.
SHOWN_ISSUES = 500
SHOWN_ROWS = 200


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem (or a warning) at a spreadsheet row and column; row 1 is the header row."""

    row: int | None
    column: str | None  # the header as written in the file (or as the template names it)
    letter: str | None  # spreadsheet column letter, e.g. "C"
    message: str

    @property
    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"{self.letter} 列「{self.column}」" if self.letter else f"「{self.column}」列")
        return "，".join(parts)

    def __str__(self) -> str:
        return f"{self.where}：{self.message}" if self.where else self.message

    def as_list(self) -> list:
        return [self.row, self.column, self.letter, self.message]


@dataclass(slots=True)
class RowPlan:
    """What one data row does: create, update, unchanged — or, for tax, ``unmatched`` USCC."""

    row: int
    action: str
    key: str
    values: dict[str, Any]
    target: Any = None  # the existing record (or its id) an update or unchanged row matches
    changes: dict[str, tuple[Any, Any]] | None = None  # label -> (before, after) for updates


ACTIONS = ("create", "update", "unchanged", "unmatched")


@dataclass
class Plan:
    kind: str
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)  # extra state the plan depends on, for the digest
    extra: dict[str, Any] = field(default_factory=dict)  # kind-specific data the applier reuses
    # Which days each row's change alters, per building: (row, building id, span, column key).
    reaches: list[tuple[int, int, Any, str]] = field(default_factory=list)
    # Rows that reach a confirmed month and are applied as a correction: row -> [(building id, period)].
    corrections: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    correction_labels: dict[int, str] = field(default_factory=dict)  # row -> "XG01 2026年10月"

    def error(self, row, column, letter, message) -> None:
        self.errors.append(Issue(row, column, letter, message))

    def warn(self, row, column, letter, message) -> None:
        self.warnings.append(Issue(row, column, letter, message))

    def reach(self, row: int, building_id: int, span, column: str) -> None:
        """The row's change alters ``span``'s days in the building (None: no day at all)."""
        if span is not None:
            self.reaches.append((row, building_id, span, column))

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        counts["errors"] = len(self.errors)
        return counts

    @property
    def unmatched(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == "unmatched"]

    def digest(self) -> str:
        sha = hashlib.sha256()
        for row in self.rows:
            changes = sorted((k, str(a), str(b)) for k, (a, b) in (row.changes or {}).items())
            sha.update(f"{row.row}|{row.action}|{row.key}|{changes}\n".encode())
        for line in self.basis:
            sha.update(f"basis|{line}\n".encode())
        for issue in self.errors:
            sha.update(f"error|{issue}\n".encode())
        return sha.hexdigest()

    def report(self) -> dict:
        """The JSON kept with the import batch: problems and a sample of the planned changes."""
        changed = [r for r in self.rows if r.action in ("create", "update")]
        unmatched = self.unmatched
        return {
            "errors": [i.as_list() for i in self.errors[:SHOWN_ISSUES]],
            "error_count": len(self.errors),
            "warnings": [i.as_list() for i in self.warnings[:SHOWN_ISSUES]],
            "warning_count": len(self.warnings),
            "unmatched": [[r.row, r.key, r.values.get("company_name")] for r in unmatched[:SHOWN_ISSUES]],
            "unmatched_count": len(unmatched),
            "sample": [
                [r.row, r.action, r.key, {k: [_show(a), _show(b)] for k, (a, b) in (r.changes or {}).items()}, _name(r)]
                for r in changed[:SHOWN_ROWS]
            ],
            "corrections": [
                [r.row, r.key, self.correction_labels[r.row]] for r in changed if r.row in self.corrections
            ][:SHOWN_ISSUES],
            "correction_count": len(self.corrections),
        }


def _name(row: RowPlan) -> str:
    """The company's name a row carries (companies, leads), so a preview names what a code means."""
    return str(row.values.get("name") or row.values.get("company_name") or "")


def _show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def show_value(value) -> str:
    return _show(value)
