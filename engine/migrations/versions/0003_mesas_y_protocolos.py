"""Help desks as tenants: dependencies, coordinators, external level-3 groups, protocol versions, admin events.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
ONE_PER_DESK = ("borrador", "publicado")


def upgrade() -> None:
    op.create_table('admin_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', engine.db.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('help_desk_code', sa.String(length=40), nullable=True),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('admin_events', schema=None) as batch_op:
        batch_op.create_index('ix_admin_events_desk_time', ['help_desk_code', 'occurred_at'], unique=False)

    op.create_table('dependencies',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['dependencies.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('dependencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dependencies_parent_code'), ['parent_code'], unique=False)

    op.create_table('help_desk_coordinators',
    sa.Column('help_desk_code', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['help_desk_code'], ['help_desks.code'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('help_desk_code', 'user_id')
    )
    with op.batch_alter_table('help_desk_coordinators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_desk_coordinators_user_id'), ['user_id'], unique=False)

    op.create_table('protocol_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('help_desk_code', sa.String(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('valid_from', engine.db.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=80), nullable=True),
    sa.Column('approved_at', engine.db.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('next_review', sa.Date(), nullable=True),
    sa.Column('document_json', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', engine.db.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.db.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['help_desk_code'], ['help_desks.code'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('help_desk_code', 'number')
    )
    with op.batch_alter_table('protocol_versions', schema=None) as batch_op:
        batch_op.create_index('ix_protocol_versions_desk_status', ['help_desk_code', 'status'], unique=False)
    # At most one draft and one published version per help desk.
    for status in ONE_PER_DESK:
        where = sa.text(f"status = '{status}'")
        op.create_index(f'uq_protocol_versions_one_{status}', 'protocol_versions', ['help_desk_code'], unique=True,
                        sqlite_where=where, postgresql_where=where)

    # Existing groups are DNP staff: not external.
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('help_desks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dependency_code', sa.String(length=40), nullable=True))
        batch_op.create_foreign_key('fk_help_desks_dependency_code', 'dependencies', ['dependency_code'], ['code'])


def downgrade() -> None:
    with op.batch_alter_table('help_desks', schema=None) as batch_op:
        batch_op.drop_constraint('fk_help_desks_dependency_code', type_='foreignkey')
        batch_op.drop_column('dependency_code')

    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_column('external')

    for status in ONE_PER_DESK:
        op.drop_index(f'uq_protocol_versions_one_{status}', table_name='protocol_versions')
    with op.batch_alter_table('protocol_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_protocol_versions_desk_status')
    op.drop_table('protocol_versions')

    with op.batch_alter_table('help_desk_coordinators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_desk_coordinators_user_id'))
    op.drop_table('help_desk_coordinators')

    with op.batch_alter_table('dependencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dependencies_parent_code'))
    op.drop_table('dependencies')

    with op.batch_alter_table('admin_events', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_events_desk_time')
    op.drop_table('admin_events')
