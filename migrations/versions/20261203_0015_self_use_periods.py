"""Dated self-use: the periods a unit is the owner's own (自用) replace the unit's yes/no flag

A unit marked self-use keeps that status on every date it had it before: each becomes one open
period starting on the unit's ``active_from`` — or, for a unit that has always existed
(``active_from`` empty), a period with no start, "since the unit exists". Every past figure
therefore stays as it was.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

units = sa.table("units", sa.column("id", sa.Integer), sa.column("active_from", sa.Date),
                 sa.column("self_use", sa.Boolean))
periods = sa.table("unit_self_use", sa.column("unit_id", sa.Integer), sa.column("start_date", sa.Date),
                   sa.column("end_date", sa.Date))


def upgrade():
    op.create_table(
        "unit_self_use",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                           name=op.f("ck_unit_self_use_end_after_start")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_unit_self_use_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_self_use")),
    )
    op.create_index(op.f("ix_unit_self_use_unit_id"), "unit_self_use", ["unit_id"], unique=False)
    op.execute(periods.insert().from_select(
        ["unit_id", "start_date", "end_date"],
        sa.select(units.c.id, units.c.active_from, sa.null()).where(units.c.self_use.is_(True)),
    ))
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): rebuilding ``units`` in batch mode would
    # drop a table the leases refer to, which SQLite refuses while foreign keys are enforced.
    op.drop_column("units", "self_use")


def downgrade():
    op.add_column("units", sa.Column("self_use", sa.Boolean(), nullable=False, server_default=sa.false()))
    open_period = sa.select(periods.c.unit_id).where(periods.c.end_date.is_(None))
    op.execute(units.update().where(units.c.id.in_(open_period)).values(self_use=True))
    op.drop_index(op.f("ix_unit_self_use_unit_id"), table_name="unit_self_use")
    op.drop_table("unit_self_use")
