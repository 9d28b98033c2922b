"""graded deadlines and paused clocks: warning and escalation levels of open tasks, when a task was
warned, and a task's pause (since, by, why, until) with its original deadline and the time paused

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 11:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deadline_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("recipients", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("told", sa.String(length=2000), nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["task_id"], ["human_task.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_deadline_step_due_pending",
        "deadline_step",
        ["due_at"],
        sqlite_where=sa.text("fired_at IS NULL"),
        postgresql_where=sa.text("fired_at IS NULL"),
    )
    op.create_index("ix_deadline_step_task", "deadline_step", ["task_id"])
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("pause_reason", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("pause_note", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("paused_seconds", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch:
        for column in (
            "paused_seconds",
            "original_due_at",
            "paused_until",
            "pause_note",
            "pause_reason",
            "paused_by",
            "paused_at",
            "warned_at",
        ):
            batch.drop_column(column)
    op.drop_index("ix_deadline_step_task", table_name="deadline_step")
    op.drop_index("ix_deadline_step_due_pending", table_name="deadline_step")
    op.drop_table("deadline_step")
