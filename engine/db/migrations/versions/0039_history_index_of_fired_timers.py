"""the history's index by kind and time keeps only the fired timers: the one query that needs it (the
department assessment's chases) asks for the timers fired in a period, and holding every kind took a
page write per kind of event each unit of work added (one leaf per kind)

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

_FIRED = sa.text("kind = 'timer_fired'")


def upgrade() -> None:
    op.drop_index("ix_event_kind_at", table_name="event")
    op.create_index(
        "ix_event_timer_fired_at", "event", ["kind", "at"], sqlite_where=_FIRED, postgresql_where=_FIRED
    )


def downgrade() -> None:
    op.drop_index("ix_event_timer_fired_at", table_name="event")
    op.create_index("ix_event_kind_at", "event", ["kind", "at"])
