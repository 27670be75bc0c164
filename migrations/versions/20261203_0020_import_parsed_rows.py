"""Import batches keep the rows their preview read from the file, for the confirm

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.add_column(sa.Column("parsed_rows", sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table("import_batches") as batch:
        batch.drop_column("parsed_rows")
