"""Data versions: one random token per kind of derived figure, changed by every write it derives from.

``occupancy`` changes whenever a building, unit, company, lease or monthly snapshot is written
(the change-history listener sees every such flush) and after bulk loads; ``tax`` whenever the
monthly tax roll-up is rebuilt. Caches of derived figures key on the token, so every process and
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


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


OCCUPANCY = "occupancy"
TAX = "tax"


TOKENS_KEY = "data_version_tokens"


def bump(session, *names: str) -> None:
    """Give each of ``names`` a new token, within the session's transaction."""
    connection = session.connection()
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    for name in names:
        token = secrets.token_hex(8)
        stmt = insert(DataVersion.__table__).values(name=name, token=token)
        connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"token": token}))
    session.info.pop(TOKENS_KEY, None)


def tokens(session) -> dict[str, str]:
    """{name: token} as the session's transaction sees them: read once per transaction (a page
    asks for them once per cached figure), again after the session's own bump."""
    found = session.info.get(TOKENS_KEY)
    if found is None:
        found = session.info[TOKENS_KEY] = dict(session.execute(select(DataVersion.name, DataVersion.token)).all())
    return found


def _forget_tokens(session, _transaction) -> None:
    session.info.pop(TOKENS_KEY, None)  # the next transaction may see other processes' writes


def init_data_versions(session_class=Session) -> None:
    """Forget the tokens a session read when its transaction ends; safe to call more than once."""
    if not event.contains(session_class, "after_transaction_end", _forget_tokens):
        event.listen(session_class, "after_transaction_end", _forget_tokens)
