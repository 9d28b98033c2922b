"""the open tasks in urgency order and the claimed open tasks, for the tasklist

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_task_open_urgent",
        "human_task",
        ["due_at", "created_at", "id", "assignee", "instance_id"],
        unique=False,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_task_claimed_open",
        "human_task",
        ["assignee", "due_at"],
        unique=False,
        sqlite_where=sa.text("status = 'open' AND assignee IS NOT NULL"),
        postgresql_where=sa.text("status = 'open' AND assignee IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_task_claimed_open", table_name="human_task")
    op.drop_index("ix_task_open_urgent", table_name="human_task")
