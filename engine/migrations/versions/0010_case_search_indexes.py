"""case search indexes

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-23 14:25:32.640471
"""

from __future__ import annotations

from alembic import op

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index('ix_instance_category_status', ['category', 'status', 'opened_at'], unique=False)
        batch_op.create_index('ix_instance_department_status', ['department', 'status', 'opened_at'], unique=False)
        batch_op.create_index('ix_instance_search', ['opened_at', 'id', 'status', 'process_key', 'category', 'department', 'case_number', 'customer_name', 'customer_phone', 'address'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_instance_search')
        batch_op.drop_index('ix_instance_department_status')
        batch_op.drop_index('ix_instance_category_status')

