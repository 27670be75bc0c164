"""Leads, follow-ups, move-in requests (issue: the investment-attraction pipeline)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=True),
    sa.Column('company_name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('industry_group', sa.String(length=16), nullable=True),
    sa.Column('hq_type', sa.String(length=16), nullable=False),
    sa.Column('intended_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('expected_annual_tax', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('next_followup_on', sa.Date(), nullable=True),
    sa.Column('last_followup_on', sa.Date(), nullable=True),
    sa.Column('lost_reason', sa.Text(), nullable=True),
    sa.Column('paused_until', sa.Date(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('landed_on', sa.Date(), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_leads_company_id_companies')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['leads.id'], name=op.f('fk_leads_merged_into_id_leads')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_leads_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_company_name'), ['company_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_next_followup_on'), ['next_followup_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_stage'), ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_leads_uscc'), ['uscc'], unique=False)

    op.create_table('followups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('next_followup_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_followups_author_id_users')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_followups_lead_id_leads')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followups'))
    )
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followups_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index('ix_followups_author_on', ['author_id', 'on'], unique=False)

    op.create_table('lead_stage_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('from_stage', sa.String(length=16), nullable=True),
    sa.Column('to_stage', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_stage_changes_lead_id_leads')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lead_stage_changes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_stage_changes'))
    )
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_stage_changes_lead_id'), ['lead_id'], unique=False)

    op.create_table('lead_target_buildings',
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_lead_target_buildings_building_id_buildings')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_target_buildings_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lead_id', 'building_id', name=op.f('pk_lead_target_buildings'))
    )
    op.create_table('unit_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('reserved_until', sa.Date(), nullable=False),
    sa.Column('reserved_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_unit_reservations_lead_id_leads')),
    sa.ForeignKeyConstraint(['reserved_by_id'], ['users.id'], name=op.f('fk_unit_reservations_reserved_by_id_users')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_unit_reservations_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_reservations'))
    )
    with op.batch_alter_table('unit_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_reservations_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_reservations_unit_id'), ['unit_id'], unique=False)

    op.create_table('move_in_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('unit_ids', sa.String(length=500), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lease_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_move_in_requests_building_id_buildings')),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_move_in_requests_company_id_companies')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_move_in_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_move_in_requests_lead_id_leads')),
    sa.ForeignKeyConstraint(['lease_id'], ['leases.id'], name=op.f('fk_move_in_requests_lease_id_leases')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_move_in_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_move_in_requests'))
    )
    with op.batch_alter_table('move_in_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_move_in_requests_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_move_in_requests_lead_id'), ['lead_id'], unique=False)


def downgrade():
    with op.batch_alter_table('move_in_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_move_in_requests_lead_id'))
        batch_op.drop_index(batch_op.f('ix_move_in_requests_building_id'))

    op.drop_table('move_in_requests')
    with op.batch_alter_table('unit_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_reservations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_unit_reservations_lead_id'))

    op.drop_table('unit_reservations')
    op.drop_table('lead_target_buildings')
    with op.batch_alter_table('lead_stage_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_stage_changes_lead_id'))

    op.drop_table('lead_stage_changes')
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_index('ix_followups_author_on')
        batch_op.drop_index(batch_op.f('ix_followups_lead_id'))

    op.drop_table('followups')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_leads_uscc'))
        batch_op.drop_index(batch_op.f('ix_leads_stage'))
        batch_op.drop_index(batch_op.f('ix_leads_owner_id'))
        batch_op.drop_index(batch_op.f('ix_leads_next_followup_on'))
        batch_op.drop_index(batch_op.f('ix_leads_company_name'))
        batch_op.drop_index(batch_op.f('ix_leads_company_id'))

    op.drop_table('leads')
