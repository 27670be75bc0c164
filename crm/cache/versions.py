"""Data versions: which token each write changes, and the tokens a transaction sees.

Every write of a kind of data gives that kind's token (a row of ``data_versions``) a new random
value in the same transaction, from ORM events, so no write path has to remember it:

* a flush that adds, changes or deletes an object whose table belongs to a kind (a lease's
  units and a lead's target buildings are collections: ``is_modified`` counts them);
* an INSERT, UPDATE or DELETE run through ``session.execute`` on such a table (bulk imports,
  the tax roll-up).

A pipeline bump also journals the leads the flush touched (``crm.models.version.bump``); a
statement's rows are not known, so it journals "any lead".

Only a statement run on a bare connection escapes both: the demo loader bumps by hand for that
reason. A token is random, never a counter, so a rolled-back write or a wiped database can never
bring back a token something was cached under.
"""

from __future__ import annotations

from sqlalchemy import column, event, inspect, select, table
from sqlalchemy.orm import Session

from crm.cache.memo import remembered

OCCUPANCY = "occupancy"
TAX = "tax"
SETTINGS = "settings"
PIPELINE = "pipeline"

# Table → the kind of derived figures it feeds.
KIND_OF_TABLE = {
    "buildings": OCCUPANCY,
    "units": OCCUPANCY,
    "unit_self_use": OCCUPANCY,
    "companies": OCCUPANCY,
    "leases": OCCUPANCY,
    "lease_units": OCCUPANCY,
    "occupancy_snapshots": OCCUPANCY,
    # 属地化: the dated district flags feed 属地注册率; a worked target stays on the cached lists.
    "company_flag_periods": OCCUPANCY,
    "localisation_items": OCCUPANCY,
    "localisation_followups": OCCUPANCY,
    "tax_records": TAX,
    "building_tax_months": TAX,
    "settings": SETTINGS,
    "leads": PIPELINE,
    "lead_target_buildings": PIPELINE,
    "followups": PIPELINE,
    "lead_stage_changes": PIPELINE,
}
TOKENS = "data_version_tokens"
_versions = table("data_versions", column("name"), column("token"))  # the model lives in crm.models.version
PENDING_KINDS = "_data_kinds_written"


def tokens(session) -> dict[str, str]:
    """{kind: token} as the session's transaction sees them: read once per transaction and
    again after each bump of its own (a new dict then, so callers can tell)."""
    return remembered(session, TOKENS, lambda: dict(session.execute(select(_versions.c.name, _versions.c.token)).all()))


def has_pending_changes(session) -> bool:
    """Whether the session holds changes not yet flushed (so the database, and the tokens, do
    not show them yet)."""
    return bool(session.new or session.deleted or session.dirty)


def _kind(obj) -> str | None:
    table = getattr(type(obj), "__table__", None)
    return KIND_OF_TABLE.get(getattr(table, "name", None))


def _note_flushed_kinds(session: Session, _context, _instances) -> None:
    kinds = {_kind(obj) for obj in (*session.new, *session.deleted)}
    kinds |= {_kind(obj) for obj in session.dirty if session.is_modified(obj)}
    kinds.discard(None)
    if kinds:
        session.info.setdefault(PENDING_KINDS, set()).update(kinds)


def _bump_flushed_kinds(session: Session, _context) -> None:
    kinds = session.info.pop(PENDING_KINDS, None)
    if kinds:
        _bump(session, sorted(kinds), _touched_leads(session) if PIPELINE in kinds else None)


def _touched_leads(session: Session) -> set[int] | None:
    """The ids of the leads whose pipeline rows the flush wrote (a lead itself, or a follow-up's
    or stage change's lead, before and after a move), or None when one cannot be told. Asked
    after the flush, so new rows have their ids; the session still lists what it flushed."""
    leads: set[int] = set()
    for obj in (*session.new, *session.deleted, *session.dirty):
        if _kind(obj) != PIPELINE:
            continue
        if type(obj).__table__.name == "leads":
            ids = [obj.id]
        else:
            history = inspect(obj).attrs.lead_id.history
            ids = [*history.added, *history.unchanged, *history.deleted]
        if not ids or None in ids:
            return None
        leads.update(ids)
    return leads


def _bump_statement_kinds(state) -> None:
    """An INSERT/UPDATE/DELETE through ``session.execute`` changes its table's kind."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    kind = KIND_OF_TABLE.get(getattr(table, "name", None))
    if kind:
        _bump(state.session, [kind], None)


def _bump(session, kinds, leads) -> None:
    from crm.models.version import bump  # the cache sits below the models it listens to

    bump(session, *kinds, leads=leads)


def init_versions(session_class=Session) -> None:
    """Listen for writes of every kind; safe to call more than once."""
    if event.contains(session_class, "before_flush", _note_flushed_kinds):
        return
    event.listen(session_class, "before_flush", _note_flushed_kinds)
    event.listen(session_class, "after_flush", _bump_flushed_kinds)
    event.listen(session_class, "do_orm_execute", _bump_statement_kinds)
