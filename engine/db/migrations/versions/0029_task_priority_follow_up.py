"""a task's priority and follow-up date (camunda:priority, camunda:followUpDate); the open tasks' urgency
index sorts the higher priority first within the same deadline

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 11:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_URGENT_COLUMNS = ["due_at", "created_at", "id", "assignee", "instance_id"]


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="50"))
        batch_op.add_column(sa.Column("follow_up_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_task_open_urgent", table_name="human_task")
    op.create_index(
        "ix_task_open_urgent",
        "human_task",
        ["due_at", sa.text("priority DESC"), *_URGENT_COLUMNS[1:]],
        unique=False,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ix_task_open_urgent", table_name="human_task")
    op.create_index(
        "ix_task_open_urgent",
        "human_task",
        _URGENT_COLUMNS,
        unique=False,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.drop_column("follow_up_at")
        batch_op.drop_column("priority")
