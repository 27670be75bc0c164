"""属地化: dated district flags of companies, and the 属地化 work list with its follow-ups

Today's flags become periods: a company registered (or taxed) in the district now holds the flag
since its first lease's start, or since 1990-01-01 when it has no lease.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "company_flag_periods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_company_flag_periods_company_id_companies"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_company_flag_periods")),
    )
    op.create_index("ix_company_flag_periods_company_flag", "company_flag_periods", ["company_id", "flag"], unique=False)
    op.create_table(
        "localisation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("next_followup_on", sa.Date(), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_localisation_items_building_id_buildings")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_localisation_items_company_id_companies")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_localisation_items_owner_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_localisation_items")),
    )
    op.create_index(op.f("ix_localisation_items_building_id"), "localisation_items", ["building_id"], unique=False)
    op.create_index(op.f("ix_localisation_items_company_id"), "localisation_items", ["company_id"], unique=False)
    op.create_index(op.f("ix_localisation_items_next_followup_on"), "localisation_items", ["next_followup_on"], unique=False)
    op.create_index(op.f("ix_localisation_items_owner_id"), "localisation_items", ["owner_id"], unique=False)
    op.create_index(op.f("ix_localisation_items_state"), "localisation_items", ["state"], unique=False)
    op.create_index("uq_localisation_items_company_kind", "localisation_items", ["company_id", "kind"], unique=True)
    op.create_table(
        "localisation_followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("next_followup_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_localisation_followups_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["item_id"], ["localisation_items.id"],
                                name=op.f("fk_localisation_followups_item_id_localisation_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_localisation_followups")),
    )
    op.create_index(op.f("ix_localisation_followups_item_id"), "localisation_followups", ["item_id"], unique=False)
    for flag in ("registered_in_district", "taxed_in_district"):
        op.execute(sa.text(
            "INSERT INTO company_flag_periods (company_id, flag, start_date, ended_on) "
            f"SELECT c.id, '{flag}', COALESCE((SELECT MIN(l.start_date) FROM leases l WHERE l.company_id = c.id), "
            "'1990-01-01'), NULL "
            f"FROM companies c WHERE c.{flag} = :yes"
        ).bindparams(yes=True))


def downgrade():
    op.drop_index(op.f("ix_localisation_followups_item_id"), table_name="localisation_followups")
    op.drop_table("localisation_followups")
    for name in ("uq_localisation_items_company_kind", op.f("ix_localisation_items_state"),
                 op.f("ix_localisation_items_owner_id"), op.f("ix_localisation_items_next_followup_on"),
                 op.f("ix_localisation_items_company_id"), op.f("ix_localisation_items_building_id")):
        op.drop_index(name, table_name="localisation_items")
    op.drop_table("localisation_items")
    op.drop_index("ix_company_flag_periods_company_flag", table_name="company_flag_periods")
    op.drop_table("company_flag_periods")
