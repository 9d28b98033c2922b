"""personal data read at intake by customer (M6); one search text per case for the tasklist

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 14:23:36.665348
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search_text", sa.String(length=700), nullable=True))
    parts = [
        f"lower(coalesce({column}, ''))"
        for column in ("case_number", "customer_name", "customer_phone", "address")
    ]
    separator = "chr(31)" if op.get_bind().dialect.name == "postgresql" else "char(31)"
    op.execute(
        f"UPDATE process_instance SET search_text = substr({f' || {separator} || '.join(parts)}, 1, 700)"
    )
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm ships with PostgreSQL (contrib); a substring search on the trigram index.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            "ix_instance_search_text",
            "process_instance",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        op.create_index("ix_instance_search_text", "process_instance", ["search_text"], unique=False)
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.alter_column("instance_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index("ix_pii_access_customer", ["customer_id", "at"], unique=False)
        batch_op.create_foreign_key("fk_pii_access_customer", "customer", ["customer_id"], ["id"])


def downgrade() -> None:
    op.drop_index("ix_instance_search_text", table_name="process_instance")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_column("search_text")
    with op.batch_alter_table("personal_data_access", schema=None) as batch_op:
        batch_op.drop_constraint("fk_pii_access_customer", type_="foreignkey")
        batch_op.drop_index("ix_pii_access_customer")
        batch_op.alter_column("instance_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("customer_id")
