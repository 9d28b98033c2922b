"""worker heartbeat (when each timer worker last made its round, for the health check); the customer
register's meter number, service and further phone numbers, for the import from the billing system

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("worker", sa.String(length=100), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("other_phones", sa.String(length=100), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("meter_no", sa.String(length=50), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("service", sa.String(length=20), server_default=sa.text("''"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("service")
        batch_op.drop_column("meter_no")
        batch_op.drop_column("other_phones")
    op.drop_table("worker_heartbeat")
