"""a repeating timer (timeCycle) has one row per repetition: the key is the case, the task and its number;
a call activity whose procedure is gone is an incident: its link has no child case yet, and the error

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

# The first migration left the old key unnamed: PostgreSQL named it itself; on SQLite the table is
# copied, and this convention names the reflected key so it can be dropped.
_POSTGRESQL_KEY = "timer_instance_id_task_guid_key"
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("case_call", schema=None) as batch_op:
        batch_op.alter_column("child_instance_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(_POSTGRESQL_KEY, "timer", type_="unique")
        op.add_column(
            "timer", sa.Column("repetition", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        op.create_unique_constraint(
            "uq_timer_repetition", "timer", ["instance_id", "task_guid", "repetition"]
        )
        return
    with op.batch_alter_table("timer", schema=None, naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint("uq_timer_instance_id", type_="unique")
        batch_op.add_column(
            sa.Column("repetition", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_unique_constraint("uq_timer_repetition", ["instance_id", "task_guid", "repetition"])


def downgrade() -> None:
    op.execute("DELETE FROM case_call WHERE child_instance_id IS NULL")
    with op.batch_alter_table("case_call", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.alter_column("child_instance_id", existing_type=sa.Integer(), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("uq_timer_repetition", "timer", type_="unique")
        op.execute("DELETE FROM timer WHERE repetition > 0")
        op.drop_column("timer", "repetition")
        op.create_unique_constraint(_POSTGRESQL_KEY, "timer", ["instance_id", "task_guid"])
        return
    op.execute("DELETE FROM timer WHERE repetition > 0")
    with op.batch_alter_table("timer", schema=None) as batch_op:
        batch_op.drop_constraint("uq_timer_repetition", type_="unique")
        batch_op.drop_column("repetition")
        batch_op.create_unique_constraint("uq_timer_instance_id", ["instance_id", "task_guid"])
