"""customer address

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 13:09:43.652421
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=300), server_default=sa.text("('')"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("address")
