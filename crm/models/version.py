"""Data versions: one random token per kind of derived figure (``data_versions``).

``crm/cache/versions.py`` changes a kind's token in every transaction that writes a row of that
kind, and the figure cache (``crm/cache``) keys on the tokens. ``bump`` is the one write; code
that inserts on a bare connection, bypassing the ORM events (the demo loader), calls it itself.
"""

from __future__ import annotations

import secrets

from sqlalchemy import String
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from crm.cache.memo import forget
from crm.cache.versions import OCCUPANCY, PIPELINE, SETTINGS, TAX, TOKENS  # noqa: F401  (the kinds, named here too)
from crm.extensions import db


class DataVersion(db.Model):
    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


def bump(session, *names: str) -> None:
    """Give each of ``names`` a new token, within the session's transaction."""
    connection = session.connection()
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    for name in names:
        token = secrets.token_hex(8)
        stmt = insert(DataVersion.__table__).values(name=name, token=token)
        connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"token": token}))
    forget(session, TOKENS)  # the transaction reads them again
