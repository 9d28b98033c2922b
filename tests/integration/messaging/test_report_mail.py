"""M2/M3: the weekly report and the monthly 12345 summary are mailed when made, to the addresses of the
settings, with the XLSX attached and the key figures in the body; once per period whatever the number
of runs or workers; a refused mail is failed and listed for the incidents page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import OutboxMessage
from engine.messaging import SmtpGateway, SmtpSettings, failed_messages, send_due_messages
from engine.runtime import MessagingPolicy, Runtime
from engine.supervision import add_report_recipient, run_due_duties
from engine.unit_of_work import UnitOfWork
from hotline.message_languages import message_languages
from hotline.outbox_settings import OutboxSettings
from tests.integration.messaging.test_smtp import smtp_server

RECIPIENTS = {
    "weekly": ("leader@heat.example", "repair.head@heat.example"),
    "monthly": ("12345@city.example",),
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _mails(sessions: sessionmaker[Session]) -> list[tuple[str, str, str, str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(
                OutboxMessage.kind,
                OutboxMessage.recipient,
                OutboxMessage.subject,
                OutboxMessage.text,
                OutboxMessage.attachment,
            ).order_by(OutboxMessage.kind.desc(), OutboxMessage.recipient)
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.fixture
def units(sessions: sessionmaker[Session], runtime: Runtime) -> object:
    runtime.messaging = MessagingPolicy(report_recipients=RECIPIENTS)
    return lambda: UnitOfWork(sessions, runtime)


def test_each_report_is_mailed_once_to_leaders_heads_and_12345_staff_with_its_xlsx_m2_m3_m8(
    sessions: sessionmaker[Session], runtime: Runtime, units: object
) -> None:
    """Monday 23 November 09:00: last week's report (16–22 Nov) and the last 12345 month (26 Sep – 25 Oct)
    are due; a second run (another worker) makes and mails nothing more."""
    made = run_due_duties(units, "scheduler")  # type: ignore[arg-type]
    assert any(line.startswith("weekly report 2026-11-16") for line in made)
    run_due_duties(units, "scheduler")  # type: ignore[arg-type]
    mails = _mails(sessions)
    assert [(kind, to) for kind, to, *_rest in mails] == [
        ("weekly_report", "leader@heat.example"),
        ("weekly_report", "repair.head@heat.example"),
        ("monthly_report", "12345@city.example"),
    ]
    weekly = mails[0]
    assert "2026-11-16 – 2026-11-22" in weekly[2] and "2026-11-16" in weekly[3]
    assert Path(weekly[4]).read_bytes()[:2] == b"PK"  # an XLSX (a zip)
    assert Path(mails[2][4]).name == "hotline-monthly-2026-09-26_2026-10-25.xlsx"

    with smtp_server() as (handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, sender="hotline@heat.example", timeout=5))
        done = send_due_messages(units, {"email": gateway}, "worker-1")  # type: ignore[arg-type]
    assert done.sent == 3
    received = sorted(handler.messages, key=lambda m: str(m["To"]))
    assert [str(m["To"]) for m in received] == [
        "12345@city.example",
        "leader@heat.example",
        "repair.head@heat.example",
    ]
    attached = [part for part in received[1].iter_attachments()]
    assert [part.get_content_type() for part in attached] == [XLSX]
    assert attached[0].get_filename() == "hotline-weekly-2026-11-16_2026-11-22.xlsx"


def test_a_refused_report_mail_is_failed_and_listed_for_the_incidents_page_m2(
    sessions: sessionmaker[Session], runtime: Runtime, units: object
) -> None:
    run_due_duties(units, "scheduler")  # type: ignore[arg-type]
    with smtp_server("refuse") as (_handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, timeout=5))
        done = send_due_messages(units, {"email": gateway}, "worker-1")  # type: ignore[arg-type]
    assert done.failed == 3
    with sessions() as session:
        failed = failed_messages(session)
    assert sorted(f.kind for f in failed) == ["monthly_report", "weekly_report", "weekly_report"]


def test_report_recipients_come_from_the_settings() -> None:
    settings = OutboxSettings.from_env(
        {
            "HOTLINE_WEEKLY_REPORT_TO": "a@x.example; b@x.example",
            "HOTLINE_MONTHLY_REPORT_TO": "c@city.example",
        }
    )
    assert settings.report_recipients == {
        "weekly": ("a@x.example", "b@x.example"),
        "monthly": ("c@city.example",),
    }
    assert settings.policy({}).report_recipients == settings.report_recipients
    with pytest.raises(ValueError, match="e-mail address"):
        OutboxSettings.from_env({"HOTLINE_WEEKLY_REPORT_TO": "leader"})


def _shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_monthly_summary_is_mailed_on_the_25th_in_each_recipients_language_m3_m8(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """003 art.18/22: the 12345 summary goes out on the 25th (16:00 by default), not the 26th; it says
    the span it covers; an address listed in English gets it and its XLSX in English; made and mailed
    once per period across the month and year boundary."""
    runtime.messaging = MessagingPolicy(
        languages=message_languages(), report_recipients={"monthly": RECIPIENTS["monthly"]}
    )
    units = lambda: UnitOfWork(sessions, runtime)  # noqa: E731
    clock.set(_shanghai(2026, 12, 25, 15, 0))
    with units() as uow:
        add_report_recipient(uow, "monthly", "platform.en@city.example", "", "admin", language="en")
        uow.commit()
    made = run_due_duties(units, "scheduler")
    assert "monthly report 2026-10-26…2026-11-25" in made  # the one before, not yet today's
    with sessions.begin() as session:
        session.execute(delete(OutboxMessage))
    clock.set(_shanghai(2026, 12, 25, 16, 0))
    assert "monthly report 2026-11-26…2026-12-25" in run_due_duties(units, "scheduler")
    clock.set(_shanghai(2026, 12, 26, 7, 0))
    assert not [line for line in run_due_duties(units, "scheduler") if line.startswith("monthly")]

    with smtp_server() as (handler, port):
        gateway = SmtpGateway(SmtpSettings("127.0.0.1", port, sender="hotline@heat.example", timeout=5))
        assert send_due_messages(units, {"email": gateway}, "worker-1").sent == 2
    mails = {str(m["To"]): m for m in handler.messages}
    english = mails["platform.en@city.example"]
    assert str(english["Subject"]) == "Hotline monthly 12345 summary 2026-11-26 – 2026-12-25"
    body = english.get_body(("plain",)).get_content()
    assert "It counts the cases received 2026-11-25 16:00 – 2026-12-25 16:00;" in body
    (attached,) = english.iter_attachments()
    assert attached.get_filename() == "hotline-monthly-2026-11-26_2026-12-25-en.xlsx"
    chinese = mails["12345@city.example"]
    assert "12345" in str(chinese["Subject"]) and "Hotline" not in str(chinese["Subject"])
    chinese_body = chinese.get_body(("plain",)).get_content()
    assert "统计 2026-11-25 16:00 – 2026-12-25 16:00 受理的工单；此后受理的工单计入下月汇总。" in chinese_body
    assert (
        "统计受理时间: 2026-11-25 16:00 – 2026-12-25 16:00" in chinese_body
    )  # the summary's rows in Chinese
    assert "Counts the cases received: 2026-11-25 16:00 – 2026-12-25 16:00" in body
    (attached,) = chinese.iter_attachments()
    assert attached.get_filename() == "hotline-monthly-2026-11-26_2026-12-25.xlsx"

    clock.set(_shanghai(2027, 1, 25, 16, 30))  # across the year end
    assert "monthly report 2026-12-26…2027-01-25" in run_due_duties(units, "scheduler")


def test_the_monthly_summary_is_made_on_a_sunday_25th_at_the_hour_set_m3(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """2027-04-25 is a Sunday: the rule says the 25th, so the summary is made and mailed that day, at
    HOTLINE_MONTHLY_REPORT_AT."""
    policy = OutboxSettings.from_env(
        {"HOTLINE_MONTHLY_REPORT_AT": "09:30", "HOTLINE_MONTHLY_REPORT_TO": "p@city.example"}
    )
    runtime.messaging = policy.policy({})
    units = lambda: UnitOfWork(sessions, runtime)  # noqa: E731
    clock.set(_shanghai(2027, 4, 25, 9, 29))
    assert "monthly report 2027-03-26…2027-04-25" not in run_due_duties(units, "scheduler")
    clock.set(_shanghai(2027, 4, 25, 9, 30))
    assert "monthly report 2027-03-26…2027-04-25" in run_due_duties(units, "scheduler")
    with sessions() as session:
        mails = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "monthly_report")).all()
    assert [m.recipient for m in mails if "2027-03-26" in m.subject] == ["p@city.example"]
