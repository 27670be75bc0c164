"""Monthly snapshots keep their tenants (company ids), so the district counts each company once;
a data-version token for the pipeline figures

A confirmed month's per-building tenant counts cannot be added up into the district's: a company
in two buildings would count twice. The snapshot now freezes the tenants themselves and their
registered subset. Snapshots confirmed before this change hold none; the district count of such
a month reads those buildings' tenants from the leases when they still count as many.

The pipeline figures of a month (read from the stage history) are cached like the occupancy and
tax figures, under a ``pipeline`` token that every write to leads, follow-ups and stage changes
renews.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("occupancy_snapshots") as batch:
        batch.add_column(sa.Column("tenant_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("registered_tenant_ids", sa.JSON(), nullable=True))
    versions = sa.table("data_versions", sa.column("name", sa.String), sa.column("token", sa.String))
    present = {row[0] for row in op.get_bind().execute(sa.select(versions.c.name))}
    if "pipeline" not in present:
        op.bulk_insert(versions, [{"name": "pipeline", "token": secrets.token_hex(8)}])


def downgrade():
    with op.batch_alter_table("occupancy_snapshots") as batch:
        batch.drop_column("registered_tenant_ids")
        batch.drop_column("tenant_ids")
