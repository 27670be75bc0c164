"""Corrections as records of their own: building, month, reason, who, when, the snapshot's
versions before and after, the figures, and the change-history entries each consists of

A confirmed month corrected before this release keeps its correction: one record per snapshot
that had one, with its reason and time (who made it and what it changed are in the change
history of that time).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("version_before", sa.Integer(), nullable=True),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_corrections_actor_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_corrections_building_id_buildings")),
        sa.ForeignKeyConstraint(["import_batch_id"], ["import_batches.id"],
                                name=op.f("fk_corrections_import_batch_id_import_batches"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["snapshot_id"], ["occupancy_snapshots.id"],
                                name=op.f("fk_corrections_snapshot_id_occupancy_snapshots")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corrections")),
    )
    op.create_index("ix_corrections_building_period", "corrections", ["building_id", "period"], unique=False)
    op.create_index(op.f("ix_corrections_snapshot_id"), "corrections", ["snapshot_id"], unique=False)
    op.create_table(
        "correction_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("change_log_id", sa.Integer(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["change_log_id"], ["change_log.id"],
                                name=op.f("fk_correction_items_change_log_id_change_log")),
        sa.ForeignKeyConstraint(["correction_id"], ["corrections.id"],
                                name=op.f("fk_correction_items_correction_id_corrections"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_items")),
    )
    op.create_index(op.f("ix_correction_items_change_log_id"), "correction_items", ["change_log_id"], unique=False)
    op.create_index(op.f("ix_correction_items_correction_id"), "correction_items", ["correction_id"], unique=False)
    op.add_column("import_batches", sa.Column("correction_reason", sa.Text(), nullable=True))

    snapshots = sa.table(
        "occupancy_snapshots", sa.column("id", sa.Integer), sa.column("building_id", sa.Integer),
        sa.column("period", sa.String), sa.column("corrected_at", sa.DateTime(timezone=True)),
        sa.column("correction_reason", sa.Text), sa.column("version", sa.Integer),
    )
    corrections = sa.table(
        "corrections", sa.column("building_id", sa.Integer), sa.column("period", sa.String),
        sa.column("snapshot_id", sa.Integer), sa.column("operation", sa.String), sa.column("reason", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)), sa.column("version_after", sa.Integer),
        sa.column("figures", sa.JSON),
    )
    # An empty JSON object, typed as such (PostgreSQL) or as text (SQLite, where a cast to JSON
    # would turn it into a number).
    empty = sa.literal_column("'{}'::json") if op.get_bind().dialect.name == "postgresql" else sa.literal("{}")
    op.execute(corrections.insert().from_select(
        ["building_id", "period", "snapshot_id", "operation", "reason", "created_at", "version_after", "figures"],
        sa.select(snapshots.c.building_id, snapshots.c.period, snapshots.c.id, sa.literal("legacy"),
                  sa.func.coalesce(snapshots.c.correction_reason, ""), snapshots.c.corrected_at,
                  snapshots.c.version, empty)
        .where(snapshots.c.corrected_at.is_not(None)),
    ))


def downgrade():
    op.drop_column("import_batches", "correction_reason")
    op.drop_index(op.f("ix_correction_items_correction_id"), table_name="correction_items")
    op.drop_index(op.f("ix_correction_items_change_log_id"), table_name="correction_items")
    op.drop_table("correction_items")
    op.drop_index(op.f("ix_corrections_snapshot_id"), table_name="corrections")
    op.drop_index("ix_corrections_building_period", table_name="corrections")
    op.drop_table("corrections")
