"""Inbox sort orders as expression indexes (autogenerate cannot compare expression indexes).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# completed_at first: "completed_at IS NULL" (open tasks) is then an equality prefix and the rest is the order.
ORDERS = {
    "ix_inbox_tasks_open_by_due": ["completed_at", "(due_at IS NULL)", "due_at", "priority DESC", "id"],
    "ix_inbox_tasks_open_by_priority": ["completed_at", "priority DESC", "(due_at IS NULL)", "due_at", "id"],
}


def upgrade() -> None:
    for name, columns in ORDERS.items():
        op.create_index(name, "inbox_tasks", [sa.text(c) for c in columns], unique=False)


def downgrade() -> None:
    for name in ORDERS:
        op.drop_index(name, table_name="inbox_tasks")
