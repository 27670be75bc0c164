"""Reading warnings: the filtered list with its counts, a building's panel, one warning with its
timeline, and the month's figures for the briefing. A constant number of queries each, whatever
the number of rows (the list loads buildings, owners and companies with it).

Scope: ``building_ids`` None reads every warning; a set reads only warnings of those buildings
(a manager's, from ``crm.permissions.Scope``) — a warning of no building belongs to no manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from crm.models import EarlyWarning, EarlyWarningNote
from crm.models.warning import AUTO_RESOLVED, OPEN_STATES, PENDING, RESOLVED, STATES
from crm.services import periods as P
from crm.warnings.rules import RULES


@dataclass(frozen=True)
class WarningFilters:
    rule: str = ""
    state: str = ""  # a state, "open" (待处置 + 处置中) or "" (all)
    building_id: int | None = None
    owner_id: int | None = None
    overdue: bool = False
    building_ids: frozenset[int] | None = None  # the scope


def overdue_before(today: date, overdue_days: int) -> str:
    """A pending warning found before this day (ISO) is overdue: pending more than N days."""
    return (today - timedelta(days=overdue_days)).isoformat()


def _scoped(stmt, building_ids):
    return stmt if building_ids is None else stmt.where(EarlyWarning.building_id.in_(building_ids))


def _filtered(stmt, f: WarningFilters, today: date, overdue_days: int, with_rule_state: bool = True):
    stmt = _scoped(stmt, f.building_ids)
    if f.building_id is not None:
        stmt = stmt.where(EarlyWarning.building_id == f.building_id)
    if f.owner_id is not None:
        stmt = stmt.where(EarlyWarning.owner_id == f.owner_id)
    if f.overdue:
        stmt = stmt.where(EarlyWarning.state == PENDING, EarlyWarning.created_on < overdue_before(today, overdue_days))
    if with_rule_state:
        if f.rule:
            stmt = stmt.where(EarlyWarning.rule == f.rule)
        if f.state == "open":
            stmt = stmt.where(EarlyWarning.state.in_(OPEN_STATES))
        elif f.state:
            stmt = stmt.where(EarlyWarning.state == f.state)
    return stmt


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def search_warnings(
    session, f: WarningFilters, today: date, overdue_days: int, page: int = 1, per_page: int = 50
) -> tuple[list[EarlyWarning], int]:
    """One page of warnings (open first, then newest), with their building, owner and company."""
    open_first = func.coalesce(EarlyWarning.state.in_(OPEN_STATES), False).desc()
    # The page's ids first, sorted on the table alone; then those rows with what they show.
    ids = list(
        session.scalars(
            _filtered(select(EarlyWarning.id), f, today, overdue_days)
            .order_by(open_first, EarlyWarning.created_on.desc(), EarlyWarning.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    found = (
        {
            w.id: w
            for w in session.scalars(
                select(EarlyWarning)
                .where(EarlyWarning.id.in_(ids))
                .options(
                    joinedload(EarlyWarning.building), joinedload(EarlyWarning.owner), joinedload(EarlyWarning.company)
                )
            ).unique()
        }
        if ids
        else {}
    )
    total = session.scalar(_filtered(select(func.count(EarlyWarning.id)), f, today, overdue_days)) or 0
    return [found[i] for i in ids], total


@dataclass
class Counts:
    by_rule_state: dict[str, dict[str, int]]
    overdue: int

    def state_total(self, state: str) -> int:
        return sum(states.get(state, 0) for states in self.by_rule_state.values())

    def rule_total(self, rule: str) -> int:
        return sum(self.by_rule_state.get(rule, {}).values())

    @property
    def total(self) -> int:
        return sum(self.rule_total(r) for r in self.by_rule_state)


def counts(session, f: WarningFilters, today: date, overdue_days: int) -> Counts:
    """Counts by rule and state (under the building and owner filters, not rule and state), and
    how many pending warnings are overdue — two grouped queries."""
    base = WarningFilters(building_id=f.building_id, owner_id=f.owner_id, building_ids=f.building_ids)
    table = {rule: dict.fromkeys(STATES, 0) for rule in RULES}
    rows = session.execute(
        _filtered(
            select(EarlyWarning.rule, EarlyWarning.state, func.count(EarlyWarning.id)), base, today, overdue_days, False
        ).group_by(EarlyWarning.rule, EarlyWarning.state)
    )
    for rule, state, n in rows:
        table.setdefault(rule, dict.fromkeys(STATES, 0))[state] = n
    late = WarningFilters(building_id=f.building_id, owner_id=f.owner_id, building_ids=f.building_ids, overdue=True)
    overdue = session.scalar(_filtered(select(func.count(EarlyWarning.id)), late, today, overdue_days, False)) or 0
    return Counts(table, overdue)


def warning_with_timeline(session, warning_id: int) -> EarlyWarning | None:
    return session.scalar(
        select(EarlyWarning)
        .where(EarlyWarning.id == warning_id)
        .options(
            joinedload(EarlyWarning.building),
            joinedload(EarlyWarning.owner),
            joinedload(EarlyWarning.company),
            joinedload(EarlyWarning.resolved_by),
            selectinload(EarlyWarning.notes).joinedload(EarlyWarningNote.author),
        )
    )


@dataclass
class BuildingPanel:
    open: list[EarlyWarning]
    recent_closed: list[EarlyWarning]


def building_panel(session, building_id: int, closed_limit: int = 5) -> BuildingPanel:
    """A building's open warnings (all) and its latest closed ones, for its page."""
    base = select(EarlyWarning).where(EarlyWarning.building_id == building_id).options(joinedload(EarlyWarning.owner))
    open_rows = (
        session.scalars(
            base.where(EarlyWarning.state.in_(OPEN_STATES)).order_by(
                EarlyWarning.created_on.desc(), EarlyWarning.id.desc()
            )
        )
        .unique()
        .all()
    )
    closed = (
        session.scalars(
            base.where(EarlyWarning.state.in_((RESOLVED, AUTO_RESOLVED)))
            .order_by(EarlyWarning.resolved_at.desc(), EarlyWarning.id.desc())
            .limit(closed_limit)
        )
        .unique()
        .all()
    )
    return BuildingPanel(list(open_rows), list(closed))


def owner_choices(session, building_ids=None) -> list[tuple[int, str]]:
    from crm.models import User

    stmt = (
        _scoped(select(User.id, User.display_name).join(EarlyWarning, EarlyWarning.owner_id == User.id), building_ids)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name)
    )
    return [(uid, name) for uid, name in session.execute(stmt)]


# --------------------------------------------------------------------------------------------
# The briefing's section


def _item(w: EarlyWarning) -> dict:
    return {
        "id": w.id,
        "rule": w.rule,
        "rule_label": RULES.get(w.rule, w.rule),
        "title": w.title,
        "state": w.state,
        "state_label": w.state_label,
        "severity": w.severity_label,
        "building": w.building.name if w.building else None,
        "owner": w.owner.display_name if w.owner else None,
        "tax_at_stake": float(w.tax_at_stake or Decimal(0)),
        "created_on": w.created_on,
    }


def briefing_warnings_data(session, period: str, building_ids=None) -> dict:
    """The month's warnings for the briefing (plain data, as the JSON export would hold it): new
    in the month by rule, handled in the month (已解除 / 自动解除), still open at the end of the
    month, and the five open ones with the most tax at stake."""
    first, last = P.month_start(period).isoformat(), P.month_end(period).isoformat()
    new_rows = session.execute(
        _scoped(
            select(EarlyWarning.rule, func.count(EarlyWarning.id)).where(EarlyWarning.created_on.between(first, last)),
            building_ids,
        ).group_by(EarlyWarning.rule)
    ).all()
    handled = dict(
        session.execute(
            _scoped(
                select(EarlyWarning.state, func.count(EarlyWarning.id)).where(
                    EarlyWarning.resolved_on.between(first, last), EarlyWarning.state.in_((RESOLVED, AUTO_RESOLVED))
                ),
                building_ids,
            ).group_by(EarlyWarning.state)
        ).all()
    )
    # Open at the month's end: found by then, and not closed by then.
    open_at_end = _scoped(
        select(EarlyWarning).where(
            EarlyWarning.created_on <= last, or_(EarlyWarning.resolved_on.is_(None), EarlyWarning.resolved_on > last)
        ),
        building_ids,
    )
    still_open = session.scalar(select(func.count()).select_from(open_at_end.subquery())) or 0
    top = (
        session.scalars(
            open_at_end.options(joinedload(EarlyWarning.building), joinedload(EarlyWarning.owner))
            .order_by(EarlyWarning.tax_at_stake.desc(), EarlyWarning.id)
            .limit(5)
        )
        .unique()
        .all()
    )
    new_by_rule = {rule: 0 for rule in RULES}
    new_by_rule.update(dict(new_rows))
    return {
        "period": period,
        "new": sum(new_by_rule.values()),
        "new_by_rule": [{"rule": r, "label": RULES[r], "count": n} for r, n in new_by_rule.items() if r in RULES],
        "resolved": handled.get(RESOLVED, 0),
        "auto_resolved": handled.get(AUTO_RESOLVED, 0),
        "still_open": still_open,
        "top": [_item(w) for w in top],
    }
