"""Warnings (预警) and their handling notes: one row per rule, object and period, with its
figures, severity, owner and state; the notes are each warning's timeline

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("company_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("tax_at_stake", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolve_reason", sa.String(length=16), nullable=True),
        sa.Column("resolve_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_on", sa.String(length=10), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_on", sa.String(length=10), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_warnings_building_id_buildings"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_warnings_company_id_companies"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_warnings_owner_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_warnings_resolved_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
        sa.UniqueConstraint("rule", "object_type", "object_id", "period", name="uq_warnings_rule_object_period"),
    )
    op.create_index(op.f("ix_warnings_building_id"), "warnings", ["building_id"], unique=False)
    op.create_index(op.f("ix_warnings_owner_id"), "warnings", ["owner_id"], unique=False)
    op.create_index("ix_warnings_state_rule", "warnings", ["state", "rule"], unique=False)
    op.create_index("ix_warnings_created_on", "warnings", ["created_on"], unique=False)
    op.create_table(
        "warning_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_warning_notes_author_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["warning_id"], ["warnings.id"], name=op.f("fk_warning_notes_warning_id_warnings"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_notes")),
    )
    op.create_index(op.f("ix_warning_notes_warning_id"), "warning_notes", ["warning_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_warning_notes_warning_id"), table_name="warning_notes")
    op.drop_table("warning_notes")
    op.drop_index("ix_warnings_created_on", table_name="warnings")
    op.drop_index("ix_warnings_state_rule", table_name="warnings")
    op.drop_index(op.f("ix_warnings_owner_id"), table_name="warnings")
    op.drop_index(op.f("ix_warnings_building_id"), table_name="warnings")
    op.drop_table("warnings")
