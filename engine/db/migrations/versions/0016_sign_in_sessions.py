"""server-side sign-in sessions and failed sign-ins

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_sign_in_session_user", "sign_in_session", ["user_id"])
    op.create_index("ix_sign_in_session_seen", "sign_in_session", ["last_seen_at"])
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failure_username", "sign_in_failure", ["username", "at"])
    op.create_index("ix_sign_in_failure_address", "sign_in_failure", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failure_address", table_name="sign_in_failure")
    op.drop_index("ix_sign_in_failure_username", table_name="sign_in_failure")
    op.drop_table("sign_in_failure")
    op.drop_index("ix_sign_in_session_seen", table_name="sign_in_session")
    op.drop_index("ix_sign_in_session_user", table_name="sign_in_session")
    op.drop_table("sign_in_session")
