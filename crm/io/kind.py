"""The shape every import kind has: columns, a planner, an applier, and its export rows.

A kind plans without writing anything: it reads what exists, decides per row whether it creates,
updates or leaves a record unchanged, and reports every problem with its row and column. It also
says which days each row's change alters (``Plan.reach``): a row reaching a month a manager has
confirmed is refused unless the import is a correction with a reason. The applier then writes
exactly that plan (ORM objects, so the change history sees them) and returns the changes for the
import record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from crm.io.columns import Column, Located, ParsedRow, match_header, parse_rows
from crm.io.readers import Table
from crm.io.report import Plan, RowPlan
from crm.access import EVERYWHERE, Scope
from crm.models import Building
from crm.services.corrections import confirmed_periods, months_label


@dataclass
class Context:
    session: Any
    user: Any  # the acting User; None for the command line, which acts with full rights
    today: date
    scope: Scope = EVERYWHERE  # the buildings whose rows the user may change
    located: dict[str, Located] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    correction: str = ""  # the reason given for rows that reach a confirmed month ("" refuses them)


@dataclass(slots=True)
class Change:
    """One record an import wrote, for ``ImportChange``."""

    row: int
    action: str  # create | update
    table: str
    record_id: int | None
    key: str
    changes: dict[str, tuple[Any, Any]] | None = None
    record: Any = field(default=None, repr=False)  # a created ORM object, whose id the flush gives


def fill_ids(changes: list[Change]) -> list[Change]:
    """After a flush: the ids of the records the changes created."""
    for change in changes:
        if change.record_id is None and change.record is not None:
            change.record_id = change.record.id
    return changes


class ImportKind(ABC):
    name: str = ""
    label: str = ""
    description: str = ""
    order: int = 100
    columns: list[Column] = []
    notes: list[str] = []
    export_name: str = ""  # file name stem of exports, in Chinese

    # ------------------------------------------------------------------ planning
    def plan(self, ctx: Context, table: Table, read=None) -> Plan:
        """The plan of ``table``; ``read(located, rows)``, when given, sees the rows as read from
        the file (before planning, which may add to their values) when every cell was readable."""
        plan = Plan(self.name)
        ctx.located = match_header(self.columns, table, plan)
        if plan.errors:
            return plan  # without the right columns, row-by-row messages would only be noise
        rows = parse_rows(ctx.located, table, plan, ctx.today)
        if not rows and not plan.errors:
            plan.error(None, None, None, "文件中没有数据行：表头下面至少需要一行数据")
            return plan
        if read is not None and not plan.errors:
            read(ctx.located, rows)
        return self.plan_read(ctx, rows, plan)

    def plan_read(self, ctx: Context, rows: list[ParsedRow], plan: Plan) -> Plan:
        """The plan of rows already read from the file (``ctx.located`` says where they were)."""
        self.plan_rows(ctx, rows, plan)
        self.check_confirmed(ctx, plan)
        plan.rows.sort(key=lambda r: r.row)
        plan.errors.sort(key=lambda i: (i.row or 0, i.letter or ""))
        return plan

    def check_confirmed(self, ctx: Context, plan: Plan) -> None:
        """Rows reaching a month a manager confirmed: refused, named with their months — unless
        the import is a correction with a reason, when they are marked as its rows."""
        if not plan.reaches:
            return
        building_ids = {bid for _, bid, _, _ in plan.reaches}
        confirmed = confirmed_periods(ctx.session, building_ids)
        for bid in sorted(building_ids):
            plan.basis.append(f"confirmed|{bid}|{','.join(confirmed[bid])}")
        reached: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
        column_of: dict[int, str] = {}
        for row, bid, span, column in plan.reaches:
            months = span.months(confirmed[bid])
            if months:
                reached[row][bid].update(months)
                column_of.setdefault(row, column)
        if not reached:
            return
        codes = dict(ctx.session.execute(select(Building.id, Building.code).where(Building.id.in_(building_ids))).all())
        for row, by_building in sorted(reached.items()):
            label = "；".join(f"{codes[bid]} {months_label(months)}" for bid, months in sorted(by_building.items()))
            if ctx.correction:
                plan.corrections[row] = sorted((bid, p) for bid, months in by_building.items() for p in months)
                plan.correction_labels[row] = label
            else:
                self.error(
                    ctx,
                    plan,
                    row,
                    column_of[row],
                    f"{label}的入驻数据已确认，此行会改动已确认的月份，只能作为更正提交："
                    '请在上传时填写更正原因（命令行加 --correction "原因"）',
                )

    @abstractmethod
    def plan_rows(self, ctx: Context, rows: list[ParsedRow], plan: Plan) -> None:
        """Each kind says how (see crm/io/kinds/)."""

    @abstractmethod
    def apply(self, ctx: Context, plan: Plan) -> list[Change]:
        """Each kind says how (see crm/io/kinds/)."""

    # ------------------------------------------------------------------ exporting
    @abstractmethod
    def export_items(self, session, scope: Scope, args: dict, today: date, keep=None):
        """The records an export writes, filtered by ``args`` as the list page filters them and
        limited to the rows of ``scope`` (``crm.permissions.Scope``) as the page limits them."""

    @abstractmethod
    def export_values(self, item) -> dict[str, Any]:
        """Each kind says how (see crm/io/kinds/)."""

    # ------------------------------------------------------------------ helpers
    @property
    def importable(self) -> list[Column]:
        return [c for c in self.columns if not c.export_only]

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def error(self, ctx: Context, plan: Plan, row: int, key: str, message: str) -> None:
        """An error at ``row`` in the column ``key`` as the file names it."""
        loc = ctx.located.get(key)
        plan.error(row, loc.header if loc else self.column(key).header, loc.letter if loc else None, message)


def diff(record, values: dict[str, Any], labels: dict[str, str]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value in the file differs from the record: label -> (before, after).

    Only columns present in the file are compared, so leaving a column out leaves it alone.
    """
    changes = {}
    for key, label in labels.items():
        if key in values and getattr(record, key) != values[key]:
            changes[label] = (getattr(record, key), values[key])
    return changes


def set_fields(record, values: dict[str, Any], keys) -> None:
    for key in keys:
        if key in values:
            setattr(record, key, values[key])


def row_plan(row: int, key: str, values: dict, target=None, changes=None) -> RowPlan:
    if target is None:
        return RowPlan(row, "create", key, values)
    return RowPlan(row, "update" if changes else "unchanged", key, values, target, changes or None)
