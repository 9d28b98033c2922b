"""What the public pages keep: every lookup of a case by a caller (/track), which also counts them for
the rate limits, so several web processes agree on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class TrackLookup(Base):
    """One lookup on /track: from which client address, for which case number (as typed, cut to the
    column), when, and whether it found the case. The phone digits typed are not kept."""

    __tablename__ = "track_lookup"
    __table_args__ = (
        Index("ix_track_lookup_client", "client", "at"),
        Index("ix_track_lookup_case", "case_number", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    client: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))  # found, not_found, limited
