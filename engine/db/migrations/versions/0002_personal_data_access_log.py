"""personal data access log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:39:03.545281
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("view", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.create_index("ix_pii_access_instance", ["instance_id", "at"], unique=False)
        batch_op.create_index("ix_pii_access_user", ["username", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.drop_index("ix_pii_access_user")
        batch_op.drop_index("ix_pii_access_instance")

    op.drop_table("personal_data_access")
