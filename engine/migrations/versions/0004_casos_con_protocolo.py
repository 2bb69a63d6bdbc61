"""Cases pinned to the protocol version they started under.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: cases of other processes, of desks without a published protocol, and every existing case.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('protocol_version_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_protocol_version_id'), ['protocol_version_id'], unique=False)
        batch_op.create_foreign_key('fk_cases_protocol_version_id', 'protocol_versions',
                                    ['protocol_version_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('fk_cases_protocol_version_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cases_protocol_version_id'))
        batch_op.drop_column('protocol_version_id')
