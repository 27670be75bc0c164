"""Tax and candidate report settings (issue: tax yield and the 亿元楼 candidate list)

A covering index for the district tax page: the year's tax per company (top-10 concentration,
industry groups) is read from the index alone instead of the whole table.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tax_records") as batch:
        batch.create_index(
            "ix_tax_records_period_company",
            ["period", "building_id", "company_id", "total_tax", "district_tax"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("tax_records") as batch:
        batch.drop_index("ix_tax_records_period_company")
