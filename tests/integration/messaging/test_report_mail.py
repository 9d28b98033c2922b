"""M2/M3: the weekly report and the monthly 12345 summary are mailed when made, to the addresses of the
settings, with the XLSX attached and the key figures in the body; once per period whatever the number
of runs or workers; a refused mail is failed and listed for the incidents page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import OutboxMessage
from engine.messaging import SmtpGateway, SmtpSettings, failed_messages, send_due_messages
from engine.runtime import MessagingPolicy, Runtime
from engine.supervision import run_due_duties
from engine.unit_of_work import UnitOfWork
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


def test_each_report_is_mailed_once_with_its_xlsx_m2_m3(
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
