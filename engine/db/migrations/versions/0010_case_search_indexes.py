"""case search indexes

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 14:28:33.155329
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_category"))
        batch_op.drop_index(batch_op.f("ix_process_instance_department"))
        batch_op.drop_index(batch_op.f("ix_process_instance_process_key"))
        batch_op.drop_index(batch_op.f("ix_instance_status_opened"))
        batch_op.create_index(
            "ix_instance_status_opened",
            [
                "status",
                "opened_at",
                "id",
                "process_key",
                "category",
                "department",
                "case_number",
                "customer_name",
                "customer_phone",
                "address",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_instance_category_search",
            [
                "category",
                "status",
                "opened_at",
                "id",
                "process_key",
                "department",
                "case_number",
                "customer_name",
                "customer_phone",
                "address",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_instance_department_search",
            [
                "department",
                "status",
                "opened_at",
                "id",
                "process_key",
                "category",
                "case_number",
                "customer_name",
                "customer_phone",
                "address",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_instance_process_search",
            [
                "process_key",
                "status",
                "opened_at",
                "id",
                "category",
                "department",
                "case_number",
                "customer_name",
                "customer_phone",
                "address",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_instance_search",
            [
                "opened_at",
                "id",
                "status",
                "process_key",
                "category",
                "department",
                "case_number",
                "customer_name",
                "customer_phone",
                "address",
            ],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_search")
        batch_op.drop_index("ix_instance_process_search")
        batch_op.drop_index("ix_instance_department_search")
        batch_op.drop_index("ix_instance_category_search")
        batch_op.drop_index("ix_instance_status_opened")
        batch_op.create_index(batch_op.f("ix_instance_status_opened"), ["status", "opened_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_process_key"), ["process_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_department"), ["department"], unique=False)
        batch_op.create_index(batch_op.f("ix_process_instance_category"), ["category"], unique=False)
