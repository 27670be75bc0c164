"""Follow-ups indexed by (lead, day, id): a lead's latest follow-up by a day is one seek

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("followups") as batch:
        batch.create_index("ix_followups_lead_on", ["lead_id", "on", "id"], unique=False)
        batch.drop_index("ix_followups_lead_id")


def downgrade():
    with op.batch_alter_table("followups") as batch:
        batch.create_index("ix_followups_lead_id", ["lead_id"], unique=False)
        batch.drop_index("ix_followups_lead_on")
