"""case sources (reference data) and each case's source, upstream reference and upstream deadline;
the log of public case lookups (/track), which also holds their rate limits

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 10:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

# The sources of issue 19 as the first version knew them; init-db adds any later default.
SOURCES = (
    ("hotline", "96666热线来电", "96666 hotline call", False),
    ("walk_in", "来访", "Walk-in", False),
    ("liaison", "联络员", "Liaison", False),
    ("mayor_12345", "12345市长专线", "12345 mayor's hotline", True),
    ("sasac_platform", "国资委政民互动", "SASAC citizen platform", True),
    ("forwarded_letter", "信访局/建设局转办函", "Letter forwarded by a bureau", True),
    ("consumer_association", "消协", "Consumer association", True),
    ("digital_city", "数字城管", "Digital city management", True),
    ("media", "媒体", "Media", True),
    ("api_client", "API客户端", "API client", False),
)


def upgrade() -> None:
    source = op.create_table(
        "case_source",
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("upstream", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.bulk_insert(
        source,
        [
            {"code": c, "name": n, "name_en": e, "upstream": u, "sort_order": i, "active": True}
            for i, (c, n, e, u) in enumerate(SOURCES)
        ],
    )
    op.create_table(
        "track_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("track_lookup", schema=None) as batch_op:
        batch_op.create_index("ix_track_lookup_client", ["client", "at"], unique=False)
        batch_op.create_index("ix_track_lookup_case", ["case_number", "at"], unique=False)
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=50), server_default=sa.text("'hotline'"), nullable=False)
        )
        batch_op.add_column(sa.Column("upstream_reference", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("upstream_deadline", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_instance_source_opened", ["source", "opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_source_opened")
        batch_op.drop_column("upstream_deadline")
        batch_op.drop_column("upstream_reference")
        batch_op.drop_column("source")
    with op.batch_alter_table("track_lookup", schema=None) as batch_op:
        batch_op.drop_index("ix_track_lookup_case")
        batch_op.drop_index("ix_track_lookup_client")
    op.drop_table("track_lookup")
    op.drop_table("case_source")
