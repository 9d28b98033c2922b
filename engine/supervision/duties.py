"""The supervision duties that fall due on the calendar, as use cases on a unit of work.

The scheduler runs them on its rounds and the CLI (`hotline report`, `sample`, `attachments`) runs
them on demand; both call these functions, so a report made by hand and one made on Monday morning
are made the same way. Each function works inside the unit it is given and never commits; the
caller commits (or, for a read-only sweep, opens a read-only unit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from engine.cases import SWEEP_GRACE, sweep_orphans
from engine.db import CallbackSample, HandoverRecord, Report
from engine.supervision.handover import ShiftSettings, prepare_due_handover
from engine.supervision.periods import period_of_kind, week_of
from engine.supervision.reports.mailing import queue_report_mail
from engine.supervision.reports.recipients import recipients_of
from engine.supervision.reports.store import KINDS, generate_due_reports, generate_report, latest_due_period
from engine.supervision.sampling import (
    SampleResult,
    draw_weekly_sample,
    latest_due_week,
    list_samples,
    verify_draw,
)
from engine.supervision.satisfaction_survey import draw_quarterly_survey, latest_due_quarter, quarter_of

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


def make_report(uow: UnitOfWork, kind: str, actor: str, day: date | None = None) -> tuple[Report, bool]:
    """The weekly (M2) or monthly (M3) report of the period holding `day` (default: the latest period
    that has ended), made now unless it exists. Returns (report, made now)."""
    period = (
        period_of_kind(KINDS[kind], day)
        if day is not None
        else latest_due_period(
            kind, uow.clock.now(), uow.runtime.zone, uow.runtime.messaging.monthly_report_at
        )
    )
    return generate_report(uow.session, uow.runtime, kind, period, actor)


def make_due_reports(uow: UnitOfWork, actor: str) -> list[Report]:
    """The reports that are due and missing (M2 on Monday 07:00, M3 on the 25th at the hour the settings
    give, 16:00 by default), each mailed to
    its recipients (settings and administrator's list) in the same transaction: made once, mailed once."""
    made = generate_due_reports(uow.session, uow.runtime, actor)
    from_settings = uow.runtime.messaging.report_recipients
    for report in made:
        recipients = recipients_of(uow.session, report.kind, from_settings)
        queue_report_mail(uow.session, uow.runtime, report, recipients, uow.clock.now())
    return made


def draw_sample(uow: UnitOfWork, actor: str, day: date | None = None) -> SampleResult:
    """The callback sample (M1) of the week holding `day` (default: last week), drawn unless it was."""
    week = week_of(day) if day is not None else latest_due_week(uow.clock.now(), uow.runtime.zone)
    return draw_weekly_sample(uow.session, uow.runtime, week, actor)


@dataclass(frozen=True)
class SampleCheck:
    sample: CallbackSample
    ok: bool


def check_recorded_samples(uow: UnitOfWork) -> list[SampleCheck]:
    """Every recorded draw (weekly samples and quarterly surveys), re-drawn from its seed and compared with
    what was recorded."""
    return [
        SampleCheck(sample, verify_draw(sample))
        for sample in list_samples(uow.session, limit=10_000, weekly_only=False)
    ]


def prepare_handover_record(uow: UnitOfWork, shifts: ShiftSettings) -> HandoverRecord:
    """M7: the handover record of the latest shift change, prepared once whoever gets there first."""
    return prepare_due_handover(uow.session, uow.clock.now(), shifts)


def sweep_attachment_files(
    uow: UnitOfWork, older_than: timedelta = SWEEP_GRACE, *, remove: bool = True
) -> list[Path]:
    """The attached files no case refers to, older than the grace period, in the runtime's attachment
    folder; deleted unless `remove` is False. Reads only: a read-only unit will do."""
    folder = uow.runtime.attachment_folder
    if folder is None:
        raise ValueError("the runtime has no attachment folder")
    return sweep_orphans(uow.session, folder, uow.clock.now(), older_than, remove=remove)


def draw_survey(uow: UnitOfWork, actor: str, day: date | None = None) -> SampleResult:
    """The quarterly satisfaction survey (M9) of the quarter holding `day` (default: the quarter that
    ended last), drawn unless it was."""
    quarter = (
        quarter_of(day)[0] if day is not None else latest_due_quarter(uow.clock.now(), uow.runtime.zone)[0]
    )
    return draw_quarterly_survey(uow.session, uow.runtime, quarter.first, actor)


def run_due_duties(units: Callable[[], UnitOfWork], actor: str) -> list[str]:
    """The reports that are due, last week's callback sample and last quarter's satisfaction survey, each
    in its own unit of work.

    Safe to run often and from several worker processes at once: there is one report per period and
    one draw per week (unique constraints), so a second run finds them made and does nothing. Returns
    what was made, one line each."""
    made = []
    with units() as uow:
        for report in make_due_reports(uow, actor):
            made.append(f"{report.kind} report {report.period_start}…{report.period_end}")
        uow.commit()
    with units() as uow:
        result = draw_sample(uow, actor)
        uow.commit()
    if result.created:
        made.append(
            f"callback sample {result.sample.week_start}: {result.sample.sample_size} of "
            f"{result.sample.population_size}"
        )
    with units() as uow:
        survey = draw_survey(uow, actor)
        uow.commit()
    if survey.created:
        made.append(
            f"satisfaction survey {survey.sample.week_start}: {survey.sample.sample_size} of "
            f"{survey.sample.population_size}"
        )
    return made
