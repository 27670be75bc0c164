"""Import batches and their changed rows (issue: Excel and CSV in and out)

Revision ID: 0002
Revises: 17a96534d85b
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0002"
down_revision = "17a96534d85b"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
