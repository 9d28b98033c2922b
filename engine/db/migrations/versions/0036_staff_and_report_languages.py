"""the language staff accounts and report recipients get their messages and mailed reports in

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=10), server_default=sa.text("'zh_CN'"), nullable=False)
        )
    with op.batch_alter_table("report_recipient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("language", sa.String(length=10), server_default=sa.text("'zh_CN'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("report_recipient", schema=None) as batch_op:
        batch_op.drop_column("language")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("language")
