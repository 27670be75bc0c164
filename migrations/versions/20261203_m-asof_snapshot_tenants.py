"""Monthly snapshots keep their tenants (company ids), so the district counts each company once

A confirmed month's per-building tenant counts cannot be added up into the district's: a company
in two buildings would count twice. The snapshot now freezes the tenants themselves and their
registered subset. Snapshots confirmed before this change hold none; the district count of such
a month reads those buildings' tenants from the leases.

Revision ID: m_asof_snapshot_tenants
Revises: 0010
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "m_asof_snapshot_tenants"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("occupancy_snapshots") as batch:
        batch.add_column(sa.Column("tenant_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("registered_tenant_ids", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("occupancy_snapshots") as batch:
        batch.drop_column("registered_tenant_ids")
        batch.drop_column("tenant_ids")
