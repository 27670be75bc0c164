"""Import originals are kept for a while only: when the content is removed the batch stays

A removed original is an empty ``content`` with ``original_removed_at`` set (keeping the column
NOT NULL spares SQLite a copy of the table, whose changed rows cascade from it).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("import_batches", sa.Column("original_removed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batches", schema=None) as batch_op:
        batch_op.drop_column("original_removed_at")
