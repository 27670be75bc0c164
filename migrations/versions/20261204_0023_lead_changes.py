"""The journal of which leads each pipeline write touched, so the leads' states at a moment are
brought up to date lead by lead instead of counted again over every lead

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "lead_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_changes")),
    )
    # The journal starts where the pipeline's token is: one row "any lead" under it, so what is
    # counted before the next write can be kept (a journal whose last row is not the current
    # token makes every reader count every lead again).
    op.execute(
        "INSERT INTO lead_changes (lead_id, token) SELECT NULL, token FROM data_versions WHERE name = 'pipeline'"
    )


def downgrade():
    op.drop_table("lead_changes")
