"""Change history (变更记录): who changed which field of which record, when, from what to what.

Capture is generic: a ``before_flush`` listener on every session notes what is about to change on
the tracked models (buildings, units, companies, leases, monthly snapshots) and an ``after_flush``
listener writes one ``change_log`` row per created, changed or deleted record. Views, imports,
CLI commands and jobs are therefore all covered without calling anything. Who acted comes from
``session.info["actor_id"]`` (set per request in ``crm/__init__.py`` and by CLI commands).

Rules: a created or deleted record is logged without field changes; an update logs only the
fields whose value really changed (``Decimal("100")`` and ``Decimal("100.00")`` are the same
area), and saving unchanged values logs nothing. A lease whose units change logs them as the
field ``units``. A unit's self-use period (``UnitSelfUse``) is logged as a change of the unit
(fields ``self_use_start`` / ``self_use_end``), where a reader looks for it. A monthly snapshot
whose correction time is set in the same flush is logged as a correction (``action =
"correct"``) carrying its reason, and one confirmed in the flush as a confirmation (``"confirm"``).

While ``session.info[COLLECTOR_KEY]`` holds a list, every entry written is also appended to it as
``(id, object_type, object_id)``: a correction lists exactly the entries it consists of.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import NO_VALUE

from crm.extensions import db

ACTIONS = {"create": "新建", "update": "修改", "delete": "删除", "confirm": "确认", "correct": "更正"}
OBJECT_TYPES = {"building": "楼宇", "unit": "单元", "company": "企业", "lease": "租约", "snapshot": "月度数据"}
# Columns that change on every write, only mirror another column, or say nothing to a reader (a
# snapshot's tenant ids: its tenant counts tell the change).
IGNORED_FIELDS = {"version", "name_key", "tenant_ids", "registered_tenant_ids"}
PENDING_KEY = "_history_pending"
COLLECTOR_KEY = "_history_collector"
SELF_USE_FIELDS = {"start_date": "self_use_start", "end_date": "self_use_end"}


class ChangeLog(db.Model):
    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int] = mapped_column(Integer)
    # The building the record belongs to, so a building's timeline is one indexed query.
    building_id: Mapped[int | None] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(300))  # what the record was called at the time
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: [old, new]}
    reason: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User")

    __table_args__ = (Index("ix_change_log_object", "object_type", "object_id"),)

    @property
    def action_label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    @property
    def object_label(self) -> str:
        return OBJECT_TYPES.get(self.object_type, self.object_type)

    @property
    def occurred_utc(self) -> datetime:
        # SQLite hands timestamps back without a zone; they were written in UTC.
        at = self.occurred_at
        return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def _describe(obj) -> tuple[str, int, int | None, str]:
    """(object type, object id, building id, label) of a tracked record."""
    from crm.models import Building, Company, Lease, OccupancySnapshot, Unit, UnitSelfUse

    if isinstance(obj, UnitSelfUse):
        unit = obj.unit
        return "unit", obj.unit_id, unit.building_id, f"{unit.floor}F-{unit.number}"
    if isinstance(obj, Building):
        return "building", obj.id, obj.id, f"{obj.code} {obj.name}"
    if isinstance(obj, Unit):
        return "unit", obj.id, obj.building_id, f"{obj.floor}F-{obj.number}"
    if isinstance(obj, Company):
        return "company", obj.id, None, obj.name
    if isinstance(obj, Lease):
        company = obj.company.name if obj.company is not None else f"企业 {obj.company_id}"
        return "lease", obj.id, obj.building_id, f"{company} {obj.start_date}起"
    if isinstance(obj, OccupancySnapshot):
        return "snapshot", obj.id, obj.building_id, f"{obj.period} 月度数据"
    raise TypeError(obj)


def tracked_classes():
    from crm.models import Building, Company, Lease, OccupancySnapshot, Unit, UnitSelfUse

    return (Building, Unit, UnitSelfUse, Company, Lease, OccupancySnapshot)


def _unit_labels(units) -> str:
    return "、".join(sorted(f"{u.floor}F-{u.number}" for u in units))


def _lease_units_change(obj) -> dict[str, list]:
    """A lease's units as a field change, when the collection changes in this flush."""
    from crm.models import Lease

    if not isinstance(obj, Lease):
        return {}
    history = inspect(obj).attrs.units.history
    if not history.added and not history.deleted:
        return {}
    old = _unit_labels([*history.unchanged, *history.deleted])
    new = _unit_labels([*history.unchanged, *history.added])
    return {"units": [old, new]} if old != new else {}


def _self_use_entry(obj, action: str, changes: dict) -> tuple[str, dict]:
    """A self-use period reads as a change of its unit: self-use yes/no, its first and last day."""
    if action == "update":
        return "update", {SELF_USE_FIELDS[k]: v for k, v in changes.items() if k in SELF_USE_FIELDS}
    values = {SELF_USE_FIELDS[k]: _plain(getattr(obj, k)) for k in SELF_USE_FIELDS}
    created = action == "create"
    entry = {"self_use": [not created, created]}
    entry.update({k: [None, v] if created else [v, None] for k, v in values.items() if v is not None})
    return "update", entry


def _plain(value):
    """A JSON-safe value that compares as the reader would: 100 m² == 100.00 m²."""
    if value is None or value is NO_VALUE:
        return None
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _column_keys(obj) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs if attr.key not in IGNORED_FIELDS]


def field_changes(obj) -> dict[str, list]:
    """{field: [old, new]} for the columns whose value really changes in this flush."""
    state = inspect(obj)
    changes = {}
    for key in _column_keys(obj):
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = _plain(history.deleted[0]) if history.deleted else None
        new = _plain(history.added[0]) if history.added else None
        if old != new:
            changes[key] = [old, new]
    return changes


def _before_flush(session: Session, _context, _instances) -> None:
    classes = tracked_classes()
    pending = []
    for obj in session.new:
        if isinstance(obj, classes):
            pending.append((obj, "create", {}))
    for obj in session.dirty:
        if isinstance(obj, classes) and session.is_modified(obj):
            changes = field_changes(obj) | _lease_units_change(obj)
            if changes:
                pending.append((obj, "update", changes))
    for obj in session.deleted:
        if isinstance(obj, classes):
            pending.append((obj, "delete", {}))
    session.info[PENDING_KEY] = pending


def _after_flush(session: Session, _context) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    from crm.models import UnitSelfUse

    now = datetime.now(timezone.utc)
    actor = session.info.get("actor_id")
    rows = []
    for obj, action, changes in pending:
        object_type, object_id, building_id, label = _describe(obj)
        reason = None
        if object_type == "snapshot":
            action, reason = _snapshot_action(obj, action, changes)
        elif isinstance(obj, UnitSelfUse):
            action, changes = _self_use_entry(obj, action, changes)
        rows.append(
            dict(
                occurred_at=now,
                actor_id=actor,
                object_type=object_type,
                object_id=object_id,
                building_id=building_id,
                action=action,
                label=label[:300],
                changes=changes,
                reason=reason,
            )
        )
    # Core insert: adding ORM objects while a flush runs is not supported, and one statement
    # per flush keeps a bulk import from paying a round trip per row.
    table = ChangeLog.__table__
    collector = session.info.get(COLLECTOR_KEY)
    if collector is None:
        session.connection().execute(insert(table), rows)
    else:
        returned = session.connection().execute(
            insert(table).returning(table.c.id, table.c.object_type, table.c.object_id), rows
        )
        collector.extend(tuple(row) for row in returned)


def _snapshot_action(snapshot, action: str, changes: dict) -> tuple[str, str | None]:
    """A month's confirmation and its corrections read as such in the history."""
    if "corrected_at" in changes:
        return "correct", snapshot.correction_reason
    confirmed_now = "confirmed_at" in changes and changes["confirmed_at"][0] is None
    if snapshot.confirmed_at is not None and (action == "create" or confirmed_now):
        return "confirm", None
    return action, None


def _load_old_value(target, value, oldvalue, initiator):
    return value


def init_history(session_class=Session) -> None:
    """Start recording changes for every session; safe to call more than once."""
    if event.contains(session_class, "before_flush", _before_flush):
        return
    event.listen(session_class, "before_flush", _before_flush)
    event.listen(session_class, "after_flush", _after_flush)
    # Ask the ORM to keep the old value of a column even when it was not loaded before being
    # set (an expired object after a commit); otherwise the history would lose the "from" side.
    for cls in tracked_classes():
        for key in _column_keys_of(cls):
            event.listen(getattr(cls, key), "set", _load_old_value, active_history=True, retval=True)


def _column_keys_of(cls) -> list[str]:
    return [attr.key for attr in inspect(cls).column_attrs if attr.key not in IGNORED_FIELDS]
