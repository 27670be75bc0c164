"""Building profiles (楼宇画像) and their photos; space proposals (载体推荐书) archived per lead

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""
from alembic import op
import sqlalchemy as sa

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "building_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("transit", sa.Text(), nullable=True),
        sa.Column("parking", sa.Text(), nullable=True),
        sa.Column("dining", sa.Text(), nullable=True),
        sa.Column("property_contact", sa.String(length=200), nullable=True),
        sa.Column("policies", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_building_profiles_building_id_buildings")),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], name=op.f("fk_building_profiles_updated_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building_profiles")),
        sa.UniqueConstraint("building_id", name=op.f("uq_building_profiles_building_id")),
    )
    op.create_table(
        "building_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("caption", sa.String(length=100), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_building_photos_building_id_buildings")),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], name=op.f("fk_building_photos_uploaded_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building_photos")),
        sa.UniqueConstraint("building_id", "sha256", name="uq_building_photos_building_sha256"),
    )
    op.create_index(op.f("ix_building_photos_building_id"), "building_photos", ["building_id"], unique=False)
    op.create_table(
        "space_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_space_proposals_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], name=op.f("fk_space_proposals_lead_id_leads"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_space_proposals")),
    )
    op.create_index(op.f("ix_space_proposals_lead_id"), "space_proposals", ["lead_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_space_proposals_lead_id"), table_name="space_proposals")
    op.drop_table("space_proposals")
    op.drop_index(op.f("ix_building_photos_building_id"), table_name="building_photos")
    op.drop_table("building_photos")
    op.drop_table("building_profiles")
