"""case links: duplicates merged into a case, related cases; group alerts of many calls from one building

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("linked_by", sa.String(length=100), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.ForeignKeyConstraint(["other_id"], ["process_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "other_id", "kind"),
    )
    op.create_index("ix_case_link_other", "case_link", ["other_id", "kind"])
    op.create_index(
        "ux_case_link_merged_once",
        "case_link",
        ["instance_id"],
        unique=True,
        sqlite_where=sa.text("kind = 'merged'"),
        postgresql_where=sa.text("kind = 'merged'"),
    )

    op.create_table(
        "group_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("building", sa.String(length=300), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instance.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("building", "window_start"),
    )
    op.create_index("ix_group_alert_raised", "group_alert", ["raised_at"])


def downgrade() -> None:
    op.drop_index("ix_group_alert_raised", table_name="group_alert")
    op.drop_table("group_alert")
    op.drop_index("ux_case_link_merged_once", table_name="case_link")
    op.drop_index("ix_case_link_other", table_name="case_link")
    op.drop_table("case_link")
