"""Leads indexed for the board and the month's tallies: (stage, next follow-up, id) and
(owner, stage, next follow-up, id, …every column the tallies read), in place of the single-column
indexes on stage and owner; the targets of a lead indexed by building

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

TALLY_COLUMNS = ("merged_into_id", "expected_annual_tax", "created_on", "landed_on", "signed_on", "last_followup_on")


def upgrade():
    with op.batch_alter_table("leads") as batch:
        batch.create_index(
            "ix_leads_stage_due", ["stage", "next_followup_on", sa.text("id DESC"), "merged_into_id"], unique=False
        )
        batch.create_index(
            "ix_leads_owner_tally",
            ["owner_id", "stage", "next_followup_on", sa.text("id DESC"), *TALLY_COLUMNS],
            unique=False,
        )
        batch.drop_index("ix_leads_stage")
        batch.drop_index("ix_leads_owner_id")
    op.create_index("ix_lead_target_buildings_building_id", "lead_target_buildings", ["building_id", "lead_id"])


def downgrade():
    op.drop_index("ix_lead_target_buildings_building_id", table_name="lead_target_buildings")
    with op.batch_alter_table("leads") as batch:
        batch.create_index("ix_leads_owner_id", ["owner_id"], unique=False)
        batch.create_index("ix_leads_stage", ["stage"], unique=False)
        batch.drop_index("ix_leads_owner_tally")
        batch.drop_index("ix_leads_stage_due")
