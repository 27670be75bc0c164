"""Evaluating the rules: record each new warning exactly once, tell its owner, resolve the rest.

For each rule evaluated:

- A finding whose object has no open warning of that rule is inserted with ``INSERT … ON
  CONFLICT DO NOTHING`` on (rule, object, period): a second process, a tax import during the
  daily run or a restart inserts nothing twice. Only the rows this call really inserted are told
  to their owner, through ``crm.reminders.notify.record`` (itself unique per warning and owner).
- A finding whose object already has an open warning of the rule adds nothing (that warning
  covers it; its figures are brought up to date).
- An open warning whose object the rule no longer finds becomes 自动解除, by a conditional
  UPDATE (a warning resolved by hand a moment before stays as it was), with a timeline note.

Owners: the building's manager; for a company warning (``COMPANY_RULES``) first the promoter
whose portfolio holds the company (a lead of theirs names it, landed leads first); else the
manager of the company's building; else the first active admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import insert, select, update

from crm.models import EarlyWarning, EarlyWarningNote, Lead, User, user_buildings
from crm.models.warning import AUTO_RESOLVED, OPEN_STATES, PENDING, SEVERITIES, STATES
from crm.reminders import notify
from crm.reminders.agenda import Due, Line, section
from crm.warnings.rules import COMPANY_RULES, RULES, TAX_RULES, Finding, find
from crm.warnings.settings import warning_settings

AUTO_NOTE = "评估时预警条件已不再成立，系统自动解除"
KIND = "warning"


@dataclass
class Outcome:
    created: dict[str, int] = field(default_factory=dict)
    auto_resolved: dict[str, int] = field(default_factory=dict)
    still_open: dict[str, int] = field(default_factory=dict)
    new_ids: list[int] = field(default_factory=list)

    def summary(self) -> str:
        made, gone = sum(self.created.values()), sum(self.auto_resolved.values())
        parts = [f"{RULES[r]} {n} 条" for r, n in self.created.items() if n]
        detail = f"（{'，'.join(parts)}）" if parts else ""
        return f"新预警 {made} 条{detail}，自动解除 {gone} 条，仍待处置或处置中 {sum(self.still_open.values())} 条"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _insert_ignoring_duplicates(session, rows: list[dict]) -> list[int]:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    # Parameters as a list (executemany): compiled once and sent in batches, where a VALUES list
    # of hundreds of rows would take seconds to compile.
    stmt = (
        dialect_insert(EarlyWarning)
        .on_conflict_do_nothing(index_elements=["rule", "object_type", "object_id", "period"])
        .returning(EarlyWarning.id)
    )
    return list(session.execute(stmt, rows).scalars())


# --------------------------------------------------------------------------------------------
# Owners


def _first_admin(session) -> int | None:
    return session.scalar(select(User.id).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(1))


def _managers(session, building_ids) -> dict[int, int]:
    ids = sorted({b for b in building_ids if b is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(user_buildings.c.building_id, User.id)
        .join(User, User.id == user_buildings.c.user_id)
        .where(user_buildings.c.building_id.in_(ids), User.role == "manager", User.active.is_(True))
        .order_by(user_buildings.c.building_id, User.id.desc())
    )
    return {bid: uid for bid, uid in rows}  # the lowest user id of each building wins


def _promoters(session, company_ids) -> dict[int, int]:
    ids = sorted({c for c in company_ids if c is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(Lead.company_id, Lead.owner_id)
        .join(User, User.id == Lead.owner_id)
        .where(Lead.company_id.in_(ids), User.role == "promoter", User.active.is_(True))
        # The last row of each company wins: landed leads, the latest landing, then the newest lead.
        .order_by(Lead.company_id, Lead.landed_on.is_not(None), Lead.landed_on, Lead.id)
    )
    return {cid: uid for cid, uid in rows}


def owners_for(session, findings: list[Finding]) -> dict[tuple, int | None]:
    managers = _managers(session, [f.building_id for f in findings])
    promoters = _promoters(session, [f.company_id for f in findings if f.rule in COMPANY_RULES])
    admin = None
    owners = {}
    for f in findings:
        owner = promoters.get(f.company_id) if f.rule in COMPANY_RULES else None
        owner = owner or managers.get(f.building_id)
        if owner is None:
            admin = admin or _first_admin(session)
            owner = admin
        owners[(f.rule, *f.object_key)] = owner
    return owners


# --------------------------------------------------------------------------------------------
# Evaluating


def _open_warnings(session, rule: str) -> dict[tuple[str, int], tuple[int, str, dict]]:
    rows = session.execute(
        select(
            EarlyWarning.object_type, EarlyWarning.object_id, EarlyWarning.id, EarlyWarning.state, EarlyWarning.figures
        ).where(EarlyWarning.rule == rule, EarlyWarning.state.in_(OPEN_STATES))
    )
    return {(ot, oid): (wid, state, figures) for ot, oid, wid, state, figures in rows}


def _auto_resolve(session, ids_by_state: dict[str, list[int]], today: date, now: datetime) -> int:
    notes, count = [], 0
    for state, ids in ids_by_state.items():
        for start in range(0, len(ids), 500):
            done = (
                session.execute(
                    update(EarlyWarning)
                    .where(EarlyWarning.id.in_(ids[start : start + 500]), EarlyWarning.state == state)
                    .values(
                        state=AUTO_RESOLVED,
                        resolved_at=now,
                        resolved_on=today.isoformat(),
                        version=EarlyWarning.version + 1,
                    )
                    .returning(EarlyWarning.id)
                )
                .scalars()
                .all()
            )
            count += len(done)
            notes += [
                dict(
                    warning_id=wid,
                    author_id=None,
                    created_at=now,
                    from_state=state,
                    to_state=AUTO_RESOLVED,
                    text=AUTO_NOTE,
                )
                for wid in done
            ]
    if notes:
        session.execute(insert(EarlyWarningNote), notes)
    return count


def _refresh_figures(session, findings: list[Finding], open_now: dict) -> None:
    """An open warning that still holds shows today's figures (a lease's days left, a drop that
    deepened); the period and the owner stay."""
    for f in findings:
        wid, _, figures = open_now[f.object_key]
        if figures != f.figures:
            session.execute(
                update(EarlyWarning)
                .where(EarlyWarning.id == wid)
                .values(
                    figures=f.figures,
                    title=f.title[:300],
                    severity=f.severity,
                    tax_at_stake=f.tax_at_stake,
                    version=EarlyWarning.version + 1,
                )
            )


def _row(f: Finding, owner: int | None, today: date, now: datetime) -> dict:
    return dict(
        rule=f.rule,
        object_type=f.object_type,
        object_id=f.object_id,
        period=f.period,
        building_id=f.building_id,
        company_id=f.company_id,
        title=f.title[:300],
        severity=f.severity,
        figures=f.figures,
        tax_at_stake=f.tax_at_stake,
        owner_id=owner,
        state=PENDING,
        created_at=now,
        created_on=today.isoformat(),
        version=1,
    )


def evaluate(session, today: date, rules=None, *, email_configured: bool = False, base_url: str = "") -> Outcome:
    """Evaluate ``rules`` (all by default) on ``today`` in the caller's transaction."""
    settings = warning_settings(session)
    found = find(session, today, settings, rules)
    now = utcnow()
    outcome = Outcome()
    fresh: list[Finding] = []
    for rule, findings in found.items():
        open_now = _open_warnings(session, rule)
        holding = {f.object_key for f in findings}
        gone: dict[str, list[int]] = {}
        for key, (wid, state, _) in open_now.items():
            if key not in holding:
                gone.setdefault(state, []).append(wid)
        outcome.auto_resolved[rule] = _auto_resolve(session, gone, today, now)
        _refresh_figures(session, [f for f in findings if f.object_key in open_now], open_now)
        fresh += [f for f in findings if f.object_key not in open_now]
        outcome.still_open[rule] = len(open_now) - outcome.auto_resolved[rule]
    # Inserted in a fixed order, so a warning's id never depends on the order a database
    # happened to return the rows the rules read.
    fresh.sort(key=lambda f: (list(RULES).index(f.rule), f.object_type, f.object_id, f.period))
    owners = owners_for(session, fresh)
    rows = [_row(f, owners[(f.rule, *f.object_key)], today, now) for f in fresh]
    new_ids = _insert_ignoring_duplicates(session, rows) if rows else []
    outcome.new_ids = new_ids
    for rule in found:
        outcome.created[rule] = 0
    if new_ids:
        created = session.execute(
            select(
                EarlyWarning.id,
                EarlyWarning.rule,
                EarlyWarning.title,
                EarlyWarning.owner_id,
                EarlyWarning.period,
                EarlyWarning.severity,
            ).where(EarlyWarning.id.in_(new_ids))
        ).all()
        for row in created:
            outcome.created[row.rule] += 1
            outcome.still_open[row.rule] = outcome.still_open.get(row.rule, 0) + 1
        notify.record(
            session,
            [_due(row) for row in created if row.owner_id is not None],
            email_configured=email_configured,
            base_url=base_url,
        )
    session.flush()
    return outcome


def _due(row) -> Due:
    link = f"/warnings/{row.id}"
    return Due(
        kind=KIND,
        object_type="warning",
        object_id=str(row.id),
        recipient_id=row.owner_id,
        due_key=row.period[:16],
        title=f"【预警·{SEVERITIES.get(row.severity, '')}】{RULES[row.rule]}"[:200],
        intro=f"新预警（{STATES[PENDING]}）：{row.title}",
        sections=[section("请处置", [Line(row.title, link)])],
        link=link,
    )


def evaluate_after_tax_import(session, today: date) -> Outcome:
    """The tax rules again, right after a tax import wrote its records (in-app notices only:
    the daily run carries the outside channels)."""
    return evaluate(session, today, TAX_RULES)
