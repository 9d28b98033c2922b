"""the weights of the monthly department assessment (红黑榜), and the history by kind and time (its chases)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assessment_weight",
        sa.Column("figure", sa.String(length=40), primary_key=True),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_event_kind_at", "event", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_event_kind_at", table_name="event")
    op.drop_table("assessment_weight")
