"""staff accounts: phone, e-mail, a password to change at next sign-in; the administrative audit

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=30), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("email", sa.String(length=200), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.create_index("ix_admin_audit_at", ["at"], unique=False)
        batch_op.create_index("ix_admin_audit_subject", ["subject_kind", "subject", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_audit_subject")
        batch_op.drop_index("ix_admin_audit_at")
    op.drop_table("admin_audit")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("email")
        batch_op.drop_column("phone")
