"""Data versions: one random token per kind of derived figure, changed by every write it derives from.

``occupancy`` changes whenever a building, unit, company, lease or monthly snapshot is written
(the change-history listener sees every such flush) and after bulk loads; ``tax`` whenever the
monthly tax roll-up is rebuilt; ``settings`` whenever a setting is written; ``pipeline`` whenever
a lead (its targets included), a follow-up or a stage change is written (``init_pipeline_version``)
and after bulk loads. Caches of derived figures key on the token, so every process and
host sees a change at its next request. A token is random rather than a counter, so a rolled-back
write or a wiped test database can never bring back a token an old cache entry was stored under.
"""
from __future__ import annotations

import secrets

from sqlalchemy import String, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from crm.extensions import db
from crm.models.memo import forget, remembered


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


OCCUPANCY = "occupancy"
TAX = "tax"
SETTINGS = "settings"
PIPELINE = "pipeline"
PIPELINE_TOUCHED_KEY = "_pipeline_touched"


def bump(session, *names: str) -> None:
    """Give each of ``names`` a new token, within the session's transaction."""
    connection = session.connection()
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    for name in names:
        token = secrets.token_hex(8)
        stmt = insert(DataVersion.__table__).values(name=name, token=token)
        connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"token": token}))
    forget(session, "data_version_tokens")


def tokens(session) -> dict[str, str]:
    """{name: token} as the session's transaction sees them: read once per transaction (a page
    asks for them once per cached figure), again after the session's own bump."""
    return remembered(session, "data_version_tokens",
                      lambda: dict(session.execute(select(DataVersion.name, DataVersion.token)).all()))


def _pipeline_classes() -> tuple[type, ...]:
    from crm.models.lead import FollowUp, Lead, LeadStageChange

    return (Lead, FollowUp, LeadStageChange)


def _note_pipeline_writes(session: Session, _context, _instances) -> None:
    classes = _pipeline_classes()
    session.info[PIPELINE_TOUCHED_KEY] = (
        any(isinstance(obj, classes) for obj in session.new)
        or any(isinstance(obj, classes) for obj in session.deleted)
        # A lead's target buildings are a collection, not a column: is_modified counts them.
        or any(isinstance(obj, classes) and session.is_modified(obj) for obj in session.dirty)
    )


def _bump_pipeline(session: Session, _context) -> None:
    if session.info.pop(PIPELINE_TOUCHED_KEY, False):
        bump(session, PIPELINE)  # the pipeline figures of every month are stale from here on


def init_pipeline_version(session_class=Session) -> None:
    """Give ``pipeline`` a new token in every flush that writes a lead, a follow-up or a stage
    change; safe to call more than once."""
    if event.contains(session_class, "before_flush", _note_pipeline_writes):
        return
    event.listen(session_class, "before_flush", _note_pipeline_writes)
    event.listen(session_class, "after_flush", _bump_pipeline)
