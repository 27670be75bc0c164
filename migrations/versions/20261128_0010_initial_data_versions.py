"""Initial data-version tokens, so every kind of cached figure is versioned from the start

A database that never had its settings or tax written had no token for them, and without a token
the per-process and shared caches must not keep anything (two such databases would look alike).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAMES = ("occupancy", "tax", "settings")


def upgrade():
    versions = sa.table("data_versions", sa.column("name", sa.String), sa.column("token", sa.String))
    present = {row[0] for row in op.get_bind().execute(sa.select(versions.c.name))}
    op.bulk_insert(versions, [{"name": name, "token": secrets.token_hex(8)} for name in NAMES if name not in present])


def downgrade():
    pass  # the tokens are harmless to keep: a later write only replaces them
