"""Heads of dependencies (jefe de dependencia) and the yearly-review reminders already sent.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dependency_heads',
    sa.Column('dependency_code', sa.String(length=40), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dependency_code'], ['dependencies.code'], name='fk_dependency_heads_dependency_code',
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_dependency_heads_user_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('dependency_code', 'user_id')
    )
    with op.batch_alter_table('dependency_heads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dependency_heads_user_id'), ['user_id'], unique=False)

    op.create_table('review_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('help_desk_code', sa.String(length=40), nullable=False),
    sa.Column('protocol_version_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.String(length=20), nullable=False),
    sa.Column('sent_at', engine.db.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['protocol_version_id'], ['protocol_versions.id'],
                            name='fk_review_reminders_protocol_version_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('protocol_version_id', 'slot', name='uq_review_reminders_version_slot')
    )


def downgrade() -> None:
    op.drop_table('review_reminders')
    with op.batch_alter_table('dependency_heads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dependency_heads_user_id'))
    op.drop_table('dependency_heads')
