"""reports (M2, M3) and callback samples (M1); indexes for the KPI queries (M4)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 14:17:38
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "callback_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.String(length=10), nullable=False),
        sa.Column("week_end", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("rate", sa.String(length=10), nullable=False),
        sa.Column("population_size", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("population", JSON_TYPE, nullable=False),
        sa.Column("chosen", JSON_TYPE, nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("week_start", name="uq_callback_sample_week"),
    )
    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period_start", sa.String(length=10), nullable=False),
        sa.Column("period_end", sa.String(length=10), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(length=100), nullable=False),
        sa.Column("content", JSON_TYPE, nullable=False),
        sa.Column("notable_cases", JSON_TYPE, nullable=True),
        sa.Column("notable_by", sa.String(length=100), nullable=True),
        sa.Column("notable_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "period_start", name="uq_report_kind_period"),
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index("ix_task_due", ["due_at"], unique=False)
        batch_op.create_index("ix_task_element_completed", ["element_id", "completed_at"], unique=False)

    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_instance_opened", ["opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_opened")

    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_element_completed")
        batch_op.drop_index("ix_task_due")

    op.drop_table("report")
    op.drop_table("callback_sample")
