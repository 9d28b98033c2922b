"""process versions drafts audit

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 14:19:32.848777
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("process_audit", schema=None) as batch_op:
        batch_op.create_index("ix_process_audit_key", ["process_key", "id"], unique=False)

    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(length=100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.create_index("ix_draft_key_saved", ["process_key", "id"], unique=False)

    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comment", sa.Text(), server_default=sa.text("''"), nullable=False))
        batch_op.add_column(
            sa.Column("source", sa.String(length=20), server_default=sa.text("'file'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("comment")

    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.drop_index("ix_draft_key_saved")

    op.drop_table("process_draft")
    with op.batch_alter_table("process_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_process_audit_key")

    op.drop_table("process_audit")
