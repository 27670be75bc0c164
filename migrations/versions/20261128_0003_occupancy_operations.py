"""History of changes, monthly confirmations, unit operations (issue: building managers)

Adds the change log (who changed which field of a building, unit, company, lease or monthly
snapshot, when) and the correction columns of a confirmed monthly snapshot.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "change_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_change_log_actor_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_log")),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_building_id"), ["building_id"], unique=False)
        batch_op.create_index("ix_change_log_object", ["object_type", "object_id"], unique=False)

    with op.batch_alter_table("occupancy_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("correction_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("occupancy_snapshots", schema=None) as batch_op:
        batch_op.drop_column("correction_reason")
        batch_op.drop_column("corrected_at")

    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index("ix_change_log_object")
        batch_op.drop_index(batch_op.f("ix_change_log_building_id"))

    op.drop_table("change_log")
