"""knowledge base: entries, their versions and the words they are found by

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 10:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def _entry_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category_code", sa.String(length=50), nullable=False),
        sa.Column("keywords", sa.String(length=500), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        *_entry_columns(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "knowledge_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_entry_columns(),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["knowledge_entry.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "version"),
    )
    op.create_table(
        "knowledge_term",
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["knowledge_entry.id"]),
        sa.PrimaryKeyConstraint("entry_id", "term"),
    )
    op.create_index("ix_knowledge_term_term", "knowledge_term", ["term"])


def downgrade() -> None:
    op.drop_index("ix_knowledge_term_term", table_name="knowledge_term")
    op.drop_table("knowledge_term")
    op.drop_table("knowledge_version")
    op.drop_table("knowledge_entry")
