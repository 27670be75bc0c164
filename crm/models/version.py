"""Data versions: one random token per kind of derived figure (``data_versions``), and the
journal of which leads each pipeline write touched (``lead_changes``).

``crm/cache/versions.py`` changes a kind's token in every transaction that writes a row of that
kind, and the figure cache (``crm/cache``) keys on the tokens. ``bump`` is the one write; code
that inserts on a bare connection, bypassing the ORM events (the demo loader), calls it itself.

A pipeline bump also appends to the journal: one row per lead the write touched (none known: one
row without a lead, meaning "any lead"), each carrying the token that bump gave. The rows are
written after the token's row is updated, so writers append them one transaction at a time (the
token's row lock, or SQLite's one writer) and their ids follow the order of the commits: a reader
that saw row n has seen every row before it. ``crm.services.pipeline_states`` reads it to bring
the leads' states at a moment up to date lead by lead.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Integer, String, insert as plain_insert
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


class LeadChange(db.Model):
    """One lead touched by a pipeline write (``lead_id`` None: any lead may have changed)."""

    __tablename__ = "lead_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: a deleted lead stays named
    token: Mapped[str] = mapped_column(String(32))


def bump(session, *names: str, leads=None) -> None:
    """Give each of ``names`` a new token, within the session's transaction. A pipeline bump
    journals ``leads`` (the ids the write touched; None: any lead)."""
    connection = session.connection()
    insert = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}[connection.dialect.name]
    for name in names:
        token = secrets.token_hex(8)
        stmt = insert(DataVersion.__table__).values(name=name, token=token)
        connection.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"token": token}))
        if name == PIPELINE:
            touched = sorted(leads) if leads else [None]
            connection.execute(
                plain_insert(LeadChange.__table__), [{"lead_id": lead_id, "token": token} for lead_id in touched]
            )
    forget(session, TOKENS)  # the transaction reads them again
