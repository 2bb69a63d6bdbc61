"""ANS clocks of each case, their pauses, and the inbox's copy of a case's most urgent clock.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.db.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UTC_TIME = engine.db.models.UtcDateTime(timezone=True)
# As in 0002: the inbox's ANS order as an expression index (autogenerate cannot compare those).
ANS_ORDER = ["completed_at", "(ans_due_at IS NULL)", "ans_due_at", "(due_at IS NULL)", "due_at", "priority DESC",
             "id"]


def upgrade() -> None:
    op.create_table('ans_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('tipo', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=20), nullable=False),
    sa.Column('target_value', sa.Integer(), nullable=False),
    sa.Column('target_unit', sa.String(length=5), nullable=False),
    sa.Column('target_seconds', sa.Integer(), nullable=False),
    sa.Column('started_at', UTC_TIME, nullable=False),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('paused_since', UTC_TIME, nullable=True),
    sa.Column('stopped_at', UTC_TIME, nullable=True),
    sa.Column('elapsed_seconds', sa.Integer(), nullable=True),
    sa.Column('met', sa.Boolean(), nullable=True),
    sa.Column('warn_at', UTC_TIME, nullable=True),
    sa.Column('due_at', UTC_TIME, nullable=True),
    sa.Column('warned_at', UTC_TIME, nullable=True),
    sa.Column('breached_at', UTC_TIME, nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name='fk_ans_clocks_case_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'kind', name='uq_ans_clocks_case_kind')
    )
    with op.batch_alter_table('ans_clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ans_clocks_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_ans_clocks_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_ans_clocks_state_warn', ['state', 'warn_at'], unique=False)

    op.create_table('ans_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('started_at', UTC_TIME, nullable=False),
    sa.Column('ended_at', UTC_TIME, nullable=True),
    sa.Column('business_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['clock_id'], ['ans_clocks.id'], name='fk_ans_pauses_clock_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ans_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ans_pauses_clock_id'), ['clock_id'], unique=False)

    with op.batch_alter_table('inbox_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ans_state', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('ans_clock', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('ans_warn_at', UTC_TIME, nullable=True))
        batch_op.add_column(sa.Column('ans_due_at', UTC_TIME, nullable=True))
    op.create_index("ix_inbox_tasks_open_by_ans", "inbox_tasks", [sa.text(c) for c in ANS_ORDER], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inbox_tasks_open_by_ans", table_name="inbox_tasks")
    # Not in a batch: SQLite would rebuild the table and lose the expression indexes of 0002 with it.
    for column in ('ans_due_at', 'ans_warn_at', 'ans_clock', 'ans_state'):
        op.drop_column('inbox_tasks', column)
    with op.batch_alter_table('ans_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ans_pauses_clock_id'))
    op.drop_table('ans_pauses')
    with op.batch_alter_table('ans_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_ans_clocks_state_warn')
        batch_op.drop_index('ix_ans_clocks_state_due')
        batch_op.drop_index(batch_op.f('ix_ans_clocks_case_id'))
    op.drop_table('ans_clocks')
