"""Changes that reach into a month a manager has already confirmed: corrections (更正).

A confirmed month reads its frozen snapshot, so a change dated in it — a move-in, a move-out, a
unit split, a self-use period, an imported row — would otherwise be invisible in the published
figures, or change them silently. Every such change is a correction, whatever path it takes:

- An operation writes inside a *correction window* with its reason (``correcting``; or
  ``require_reason`` … ``correct_from``; ``open_window`` … ``finish`` for an import).
- On every flush, ``check_flush`` works out which days each written lease, unit or self-use
  period alters (``crm.services.reach``) and which confirmed months those reach. Outside a
  window with a reason that is refused — on every path, including ones that forgot to ask —
  and inside one the months and the records are noted, with the month's figures as they were.
- Closing the window records one ``Correction`` per building and month: the snapshot moves by
  exactly what the window's own writes changed (figures after − before, added to the frozen
  ones), becomes a new version, and the correction lists the change-history entries of the
  records that reached the month (and, for an import, the rows they came from). So a later
  correction never carries anything else under its reason.

``recompute_month`` (the confirmation page's 更正) is the one correction that re-derives a month
from the data as it is: it says so, and lists no changes of its own.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session, selectinload

from crm.models import Building, ChangeLog, Correction, CorrectionItem, Lease, OccupancySnapshot, Unit, UnitSelfUse
from crm.models.correction import FIGURES
from crm.models.history import COLLECTOR_KEY
from crm.services import periods as P
from crm.services.errors import DomainError
from crm.services.occupancy import Occupancy, occupancy_on_days
from crm.services.reach import NEVER, LeaseState, SelfUseState, Span, UnitState, lease_span, self_use_span, unit_span

REASON_FIELD = "correction_reason"
WINDOW_KEY = "_correction_window"
CONFIRMED_KEY = "_confirmed_periods"
MIN_REASON = 2


def clean_reason(reason: str | None) -> str:
    return (reason or "").strip()


# ------------------------------------------------------------------------------------------ months


def confirmed_periods(session, building_ids) -> dict[int, list[str]]:
    """The confirmed months of each building, oldest first; read once per transaction (a bulk
    import flushes once a row), again after a month is confirmed in it."""
    known = session.info.setdefault(CONFIRMED_KEY, {})
    missing = {bid for bid in building_ids if bid is not None and bid not in known}
    if missing:
        for bid in missing:
            known[bid] = []
        rows = session.execute(
            select(OccupancySnapshot.building_id, OccupancySnapshot.period)
            .where(OccupancySnapshot.building_id.in_(missing), OccupancySnapshot.confirmed_at.is_not(None))
            .order_by(OccupancySnapshot.period)
        )
        for bid, period in rows:
            known[bid].append(period)
    return {bid: known.get(bid, []) for bid in building_ids}


def months_label(periods) -> str:
    periods = sorted(periods)
    return "、".join(P.label(p) for p in periods[:3]) + ("等" if len(periods) > 3 else "")


def as_span(first: date | Span | None, last: date | None = None) -> Span | None:
    if first is None or isinstance(first, Span):
        return first
    return Span(first, last or NEVER)


def confirmed_reached(session, building: Building, span: Span | None) -> list[str]:
    if span is None:
        return []
    return span.months(confirmed_periods(session, [building.id])[building.id])


# ------------------------------------------------------------------------------------------ the window


@dataclass
class Reached:
    """The records a window wrote into one confirmed building-month, and the month's figures before."""

    before: Occupancy
    records: dict  # id(record) -> record


class Window(list):
    """An open correction: its reason and operation, and what it reached so far.

    It is also the list of confirmed months the operation said it would reach (``require_reason``),
    so a caller may test it as before."""

    def __init__(self, reason: str, operation: str):
        super().__init__()
        self.reason = reason
        self.operation = operation
        self.depth = 1
        self.reached: dict[tuple[int, str], Reached] = {}
        self.collected: list[tuple] = []

    def note(self, session, hits: list[tuple[object, int, str]]) -> None:
        """Remember the records of ``hits`` and, for a month reached the first time, its figures
        as they are before this flush writes anything."""
        new = sorted({(bid, period) for _, bid, period in hits} - set(self.reached))
        if new:
            before = occupancy_on_days(
                session, {P.month_end(p) for _, p in new}, sorted({b for b, _ in new}), with_tenants=True
            )
            for bid, period in new:
                self.reached[(bid, period)] = Reached(before.get((bid, P.month_end(period)), Occupancy()), {})
        for record, bid, period in hits:
            self.reached[(bid, period)].records[id(record)] = record


def open_window(session, reason: str | None, operation: str) -> Window:
    """Start collecting a correction (joining one already open: the outer operation records it)."""
    window = session.info.get(WINDOW_KEY)
    if window is not None:
        window.depth += 1
        if not window.reason and clean_reason(reason):
            window.reason = clean_reason(reason)
        return window
    window = Window(clean_reason(reason), operation)
    session.info[WINDOW_KEY] = window
    session.info[COLLECTOR_KEY] = window.collected
    return window


def _close(session) -> None:
    session.info.pop(WINDOW_KEY, None)
    session.info.pop(COLLECTOR_KEY, None)


def refusal(session, reached: dict[int, list[str]], subject: str = "这次修改") -> DomainError:
    names = dict(session.execute(select(Building.id, Building.name).where(Building.id.in_(list(reached)))).all())
    where = "；".join(f"{names.get(bid, bid)} {months_label(periods)}" for bid, periods in sorted(reached.items()))
    return DomainError(
        f"{where}的入驻数据已确认。{subject}会改动已确认的月份，只能作为更正提交：请填写更正原因",
        field=REASON_FIELD,
    )


def require_reason(
    session,
    building: Building,
    day: date | Span | None,
    reason: str | None,
    operation: str = "edit",
    last: date | None = None,
) -> Window:
    """Open a correction window for an operation on ``building`` taking effect from ``day`` (or
    over a span); refused without a reason when that reaches a confirmed month.

    Returns the window, which lists the confirmed months reached; close it with ``correct_from``."""
    span = as_span(day, last)
    frozen = confirmed_reached(session, building, span)
    if frozen and len(clean_reason(reason)) < MIN_REASON:
        subject = f"{span.first} 的变更" if span.first.year > 1 else "这次修改"
        raise refusal(session, {building.id: frozen}, subject)
    window = open_window(session, reason, operation)
    window.extend(frozen)
    return window


@contextmanager
def correcting(session, building: Building, day: date | Span | None, reason: str | None, operation: str = "edit"):
    """``require_reason`` around an operation's writes, then ``correct_from``: the window never
    outlives a refused operation (a later write in the transaction must not pass under its reason)."""
    window = require_reason(session, building, day, reason, operation)
    with _recorded_on_success(session, window):
        yield window


@contextmanager
def _recorded_on_success(session, window: Window):
    """Record ``window``'s corrections when the block succeeds; drop the window when it fails."""
    try:
        yield
    except BaseException:
        window.depth -= 1
        if window.depth <= 0:
            _close(session)
        raise
    finish(session, window)


def _tenant_months(session, company_id: int, first: date) -> list[tuple[int, str]]:
    """The confirmed (building, month) pairs from ``first``'s month on at whose month end
    ``company_id`` was a tenant of the building."""
    leases = list(session.scalars(select(Lease).where(Lease.company_id == company_id)))
    confirmed = confirmed_periods(session, sorted({lease.building_id for lease in leases}))
    return sorted(
        {
            (lease.building_id, period)
            for lease in leases
            for period in confirmed[lease.building_id]
            if P.month_end(period) >= first and lease.is_active_on(P.month_end(period))
        }
    )


@contextmanager
def correcting_company(session, company, first: date, reason: str, operation: str):
    """Around a write that changes how ``company`` counts from ``first`` on (its 属地 flags): each
    confirmed month of a building it occupied at that month's end moves by exactly that change,
    recorded as a correction under ``reason`` — the month explains its new figure."""
    hits = [(company, bid, period) for bid, period in _tenant_months(session, company.id, first)]
    if not hits:
        yield None
        return
    window = open_window(session, reason, operation)
    window.note(session, hits)
    with _recorded_on_success(session, window):
        yield window


def correct_from(session, window, reason: str | None = None) -> list[Correction]:
    """Close the window ``require_reason`` opened: record the corrections it made."""
    if not isinstance(window, Window):
        return []
    return finish(session, window)


def finish(session, window: Window, row_of: dict | None = None, import_batch_id: int | None = None) -> list[Correction]:
    """Record one correction per confirmed building-month the window's writes reached.

    ``row_of`` maps (object type, id) of a record to the import row that wrote it."""
    window.depth -= 1
    if window.depth > 0:
        return []
    try:
        session.flush()
    finally:
        _close(session)
    if not window.reached:
        return []
    return _record(session, window, row_of or {}, import_batch_id)


def _record(session, window: Window, row_of: dict, import_batch_id) -> list[Correction]:
    keys = sorted(window.reached)
    after = occupancy_on_days(
        session, {P.month_end(p) for _, p in keys}, sorted({b for b, _ in keys}), with_tenants=True
    )
    snapshots = _snapshots(session, keys)
    versions = {key: snapshots[key].version for key in keys}
    now = datetime.now(timezone.utc)
    figures = {}
    for key in keys:
        snapshot = snapshots[key]
        old = figures_of(snapshot)
        _shift(snapshot, window.reached[key].before, after.get((key[0], P.month_end(key[1])), Occupancy()))
        snapshot.corrected_at = now
        snapshot.correction_reason = window.reason
        figures[key] = {name: [old[name], value] for name, value in figures_of(snapshot).items()}
    session.flush()  # each snapshot becomes its next version
    logged = defaultdict(list)
    for entry_id, object_type, object_id in window.collected:
        logged[(object_type, object_id)].append(entry_id)
    corrections = []
    for key in keys:
        correction = Correction(
            building_id=key[0],
            period=key[1],
            snapshot_id=snapshots[key].id,
            operation=window.operation,
            reason=window.reason,
            actor_id=session.info.get("actor_id"),
            created_at=now,
            import_batch_id=import_batch_id,
            version_before=versions[key],
            version_after=snapshots[key].version,
            figures=figures[key],
        )
        session.add(correction)
        corrections.append(correction)
    session.flush()
    items = []
    for key, correction in zip(keys, corrections):
        for record_key in sorted({record_key_of(r) for r in window.reached[key].records.values()}, key=str):
            row = row_of.get(record_key)
            entries = logged.get(record_key) or [None]
            items.extend(dict(correction_id=correction.id, change_log_id=e, row_number=row) for e in entries)
    if items:
        session.execute(insert(CorrectionItem.__table__), items)
    return corrections


def record_key_of(record) -> tuple[str, int]:
    """How the change history names a record: a self-use period is logged as its unit."""
    if isinstance(record, UnitSelfUse):
        return "unit", record.unit_id
    if isinstance(record, Lease):
        return "lease", record.id
    return "unit", record.id


def _snapshots(session, keys) -> dict[tuple[int, str], OccupancySnapshot]:
    found = {}
    for bid in {b for b, _ in keys}:
        periods = [p for b, p in keys if b == bid]
        for snapshot in session.scalars(
            select(OccupancySnapshot).where(OccupancySnapshot.building_id == bid, OccupancySnapshot.period.in_(periods))
        ):
            found[(bid, snapshot.period)] = snapshot
    return found


def figures_of(snapshot: OccupancySnapshot) -> dict:
    return {name: _plain(getattr(snapshot, name)) for name in FIGURES}


def _plain(value):
    if isinstance(value, Decimal):
        text = format(value.quantize(Decimal("0.01")), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return value


def _shift(snapshot: OccupancySnapshot, before: Occupancy, after: Occupancy) -> None:
    """Move the frozen figures by what the correction's own writes changed, no more."""
    snapshot.leasable_area = max(snapshot.leasable_area + after.leasable_area - before.leasable_area, Decimal(0))
    snapshot.occupied_area = max(snapshot.occupied_area + after.occupied_area - before.occupied_area, Decimal(0))
    snapshot.vacant_area = max(snapshot.leasable_area - snapshot.occupied_area, Decimal(0))
    snapshot.tenants = max(snapshot.tenants + after.tenants - before.tenants, 0)
    snapshot.registered_tenants = max(
        snapshot.registered_tenants + after.registered_tenants - before.registered_tenants, 0
    )
    snapshot.registered_area = max(
        (snapshot.registered_area or Decimal(0)) + after.registered_area - before.registered_area, Decimal(0)
    )
    if snapshot.tenant_ids is not None:
        snapshot.tenant_ids = _shifted_ids(snapshot.tenant_ids, before.tenant_ids, after.tenant_ids)
        snapshot.registered_tenant_ids = _shifted_ids(
            snapshot.registered_tenant_ids, before.registered_ids, after.registered_ids
        )


def _shifted_ids(frozen, before, after) -> list[int]:
    """The frozen tenants with the companies the correction added, without those it removed."""
    before, after = set(before or ()), set(after or ())
    return sorted((set(frozen or ()) - (before - after)) | (after - before))


# ------------------------------------------------------------------------------------------ recompute


def apply_figures(snapshot: OccupancySnapshot, occ: Occupancy) -> bool:
    """Copy derived figures (with the tenants, when ``occ`` lists them) onto a snapshot; whether
    any of them differs from what it held. Tenants first listed on a snapshot that had none are
    no change: its counts tell whether anything changed."""
    new = dict(
        leasable_area=occ.leasable_area,
        occupied_area=occ.occupied_area,
        vacant_area=occ.vacant_area,
        tenants=occ.tenants,
        registered_tenants=occ.registered_tenants,
        registered_area=occ.registered_area,
    )
    changed = any(getattr(snapshot, key) != value for key, value in new.items())
    if occ.tenant_ids is not None:
        tenants = dict(tenant_ids=list(occ.tenant_ids), registered_tenant_ids=list(occ.registered_ids or ()))
        changed = changed or (
            snapshot.tenant_ids is not None and any(getattr(snapshot, key) != value for key, value in tenants.items())
        )
        new.update(tenants)
    for key, value in new.items():
        setattr(snapshot, key, value)
    return changed


def recompute_month(session, snapshot: OccupancySnapshot, reason: str) -> Correction | None:
    """Re-derive a confirmed month from the data as it is now, as a correction with ``reason``;
    None when the derived figures equal the frozen ones."""
    day = P.month_end(snapshot.period)
    derived = occupancy_on_days(session, [day], [snapshot.building_id], with_tenants=True).get(
        (snapshot.building_id, day), Occupancy()
    )
    old, version = figures_of(snapshot), snapshot.version
    if not apply_figures(snapshot, derived):
        return None
    now = datetime.now(timezone.utc)
    snapshot.corrected_at = now
    snapshot.correction_reason = clean_reason(reason)
    session.flush()
    correction = Correction(
        building_id=snapshot.building_id,
        period=snapshot.period,
        snapshot_id=snapshot.id,
        operation="recompute",
        reason=clean_reason(reason),
        actor_id=session.info.get("actor_id"),
        created_at=now,
        version_before=version,
        version_after=snapshot.version,
        figures={name: [old[name], value] for name, value in figures_of(snapshot).items()},
    )
    session.add(correction)
    session.flush()
    return correction


# ------------------------------------------------------------------------------------------ the check


def _old(record, key):
    """A column's value before this flush (its current value when unchanged)."""
    history = inspect(record).attrs[key].history
    if history.deleted:
        return history.deleted[0]
    if history.added:
        return None  # it had no value before
    return getattr(record, key)


def _units_of(lease: Lease, old: bool) -> frozenset:
    """The lease's units before or after this flush — compared only when they change, so an
    unchanged collection is never loaded for it."""
    history = inspect(lease).attrs.units.history
    if not history.added and not history.deleted:
        return frozenset()
    return frozenset([*history.unchanged, *(history.deleted if old else history.added)])


def _lease_state(lease: Lease, old: bool) -> LeaseState:
    value = (lambda key: _old(lease, key)) if old else (lambda key: getattr(lease, key))
    return LeaseState(
        value("start_date"), value("end_date"), value("moved_out_on"), _units_of(lease, old), value("company_id")
    )


def _unit_state(unit: Unit, old: bool) -> UnitState:
    value = (lambda key: _old(unit, key)) if old else (lambda key: getattr(unit, key))
    return UnitState(value("active_from"), value("retired_on"), value("area"))


def _self_use_state(period: UnitSelfUse, old: bool) -> SelfUseState:
    value = (lambda key: _old(period, key)) if old else (lambda key: getattr(period, key))
    return SelfUseState(value("start_date"), value("end_date"))


def _building_of(session, record) -> int | None:
    if isinstance(record, UnitSelfUse):
        unit = record.unit if record.unit is not None else session.get(Unit, record.unit_id)
        return None if unit is None else _building_of(session, unit)
    if record.building_id is not None:
        return record.building_id
    return record.building.id if record.building is not None else None


SPANS = {
    Lease: (_lease_state, lease_span),
    Unit: (_unit_state, unit_span),
    UnitSelfUse: (_self_use_state, self_use_span),
}


def flush_spans(session) -> list[tuple[object, int, Span]]:
    """(record, building id, span) of every lease, unit or self-use period this flush writes."""
    found = []
    for records, kind in ((session.new, "new"), (session.dirty, "dirty"), (session.deleted, "deleted")):
        for record in records:
            spans = SPANS.get(type(record))
            if spans is None or (kind == "dirty" and not session.is_modified(record)):
                continue
            state, span_of = spans
            old = None if kind == "new" else state(record, old=True)
            new = None if kind == "deleted" else state(record, old=False)
            span = span_of(old, new)
            building_id = _building_of(session, record)
            if span is not None and building_id is not None:
                found.append((record, building_id, span))
    return found


def check_flush(session, _flush_context, _instances) -> None:
    """Refuse a write reaching a confirmed month outside a correction; note it inside one."""
    if any(isinstance(r, OccupancySnapshot) for r in (*session.new, *session.dirty)):
        session.info.pop(CONFIRMED_KEY, None)  # a month may be confirmed in this flush
    spans = flush_spans(session)
    if not spans:
        return
    confirmed = confirmed_periods(session, {bid for _, bid, _ in spans})
    hits = [(record, bid, period) for record, bid, span in spans for period in span.months(confirmed[bid])]
    if not hits:
        return
    window = session.info.get(WINDOW_KEY)
    if window is None or len(window.reason) < MIN_REASON:
        reached = defaultdict(set)
        for _, bid, period in hits:
            reached[bid].add(period)
        raise refusal(session, {bid: sorted(p) for bid, p in reached.items()})
    window.note(session, hits)


def _end_of_transaction(session, transaction) -> None:
    # Each flush ends a transaction of its own inside the session's: only the outermost counts.
    if transaction.parent is None:
        _close(session)
        session.info.pop(CONFIRMED_KEY, None)  # other sessions may confirm months meanwhile


def init_corrections(session_class=Session) -> None:
    """Check every flush of every session; safe to call more than once."""
    if event.contains(session_class, "before_flush", check_flush):
        return
    event.listen(session_class, "before_flush", check_flush)
    # A window left open by a refused operation must not let the next one through.
    event.listen(session_class, "after_transaction_end", _end_of_transaction)


# ------------------------------------------------------------------------------------------ reading


def corrections_of(session, building_id: int, period: str | None = None, limit: int = 100) -> list[Correction]:
    """A building's corrections, newest first, with their changes (for the history and status pages)."""
    stmt = (
        select(Correction)
        .where(Correction.building_id == building_id)
        .options(
            selectinload(Correction.actor),
            selectinload(Correction.items).selectinload(CorrectionItem.change).selectinload(ChangeLog.actor),
        )
        .order_by(Correction.created_at.desc(), Correction.id.desc())
        .limit(limit)
    )
    if period is not None:
        stmt = stmt.where(Correction.period == period)
    return list(session.scalars(stmt))


def correction_counts(session, building_ids, periods) -> dict[tuple[int, str], int]:
    """How many corrections each (building, month) has had."""
    if not building_ids or not periods:
        return {}
    rows = session.execute(
        select(Correction.building_id, Correction.period, func.count())
        .where(Correction.building_id.in_(building_ids), Correction.period.in_(periods))
        .group_by(Correction.building_id, Correction.period)
    )
    return {(bid, period): count for bid, period, count in rows}
