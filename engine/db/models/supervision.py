"""What supervisors keep: shift handover records (M7), reports (M2, M3), callback samples (M1), the
weights of the monthly department assessment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class HandoverRecord(Base):
    """One shift change (M7): prepared by the scheduler, completed by the outgoing operator,
    acknowledged by the incoming shift."""

    __tablename__ = "handover_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_start: Mapped[datetime]
    shift_end: Mapped[datetime] = mapped_column(unique=True)
    prepared_at: Mapped[datetime]
    snapshot: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # prepared, handed_over, acknowledged
    notes: Mapped[str | None] = mapped_column(Text)
    flood_notes: Mapped[str | None] = mapped_column(Text)
    handed_over_by: Mapped[str | None] = mapped_column(String(100))
    handed_over_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]


class Report(Base):
    """A generated weekly (M2) or monthly (M3) report: its figures as they stood when it was made.

    One per kind and period (the unique constraint keeps several scheduler processes from making two);
    `notable_cases` holds the cases a supervisor picked for the monthly case analysis (M3).
    """

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("kind", "period_start", name="uq_report_kind_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # weekly or monthly
    period_start: Mapped[str] = mapped_column(String(10))  # ISO date of the first day
    period_end: Mapped[str] = mapped_column(String(10))  # ISO date of the last day (included)
    generated_at: Mapped[datetime]
    generated_by: Mapped[str] = mapped_column(String(100))
    content: Mapped[dict[str, Any]]
    notable_cases: Mapped[dict[str, Any] | None]  # {"cases": [{"case_number", "note"}, …]}
    notable_by: Mapped[str | None] = mapped_column(String(100))
    notable_at: Mapped[datetime | None]


class CallbackSample(Base):
    """One week's random draw of on-site orders to call back (M1), recorded so it can be checked:
    the population, the seed and the method give the same chosen cases again."""

    __tablename__ = "callback_sample"
    __table_args__ = (UniqueConstraint("week_start", name="uq_callback_sample_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[str] = mapped_column(String(10))  # ISO date of the Monday
    week_end: Mapped[str] = mapped_column(String(10))  # ISO date of the Sunday
    method: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(64))
    rate: Mapped[str] = mapped_column(String(10))  # "0.05"
    population_size: Mapped[int]
    sample_size: Mapped[int]
    population: Mapped[dict[str, Any]]  # {"cases": [case numbers, sorted]}
    chosen: Mapped[dict[str, Any]]  # {"cases": [case numbers, in draw order]}
    drawn_at: Mapped[datetime]
    drawn_by: Mapped[str] = mapped_column(String(100))


class WorkerHeartbeat(Base):
    """When each timer worker last made its round: the health check wants one seen within the minute."""

    __tablename__ = "worker_heartbeat"

    worker: Mapped[str] = mapped_column(String(100), primary_key=True)
    seen_at: Mapped[datetime]


class ReportRecipient(Base):
    """An address a report is mailed to when it is made (M2: weekly, M3: monthly), kept by an
    administrator; the settings' addresses (HOTLINE_*_REPORT_TO) are added to these."""

    __tablename__ = "report_recipient"
    __table_args__ = (UniqueConstraint("kind", "address", name="uq_report_recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # weekly or monthly
    address: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(String(200), default="")  # whom it reaches (a leader, the 12345 office)
    # The language the mail and its XLSX are in (zh_CN or en).
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default=text("'zh_CN'"))
    added_by: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime]


class AssessmentWeight(Base):
    """The weight (whole per cent, all of them summing to 100) an administrator gives one figure of the
    monthly department assessment (红黑榜); changes are recorded in the administrative audit."""

    __tablename__ = "assessment_weight"

    figure: Mapped[str] = mapped_column(String(40), primary_key=True)
    weight: Mapped[int]
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
