"""M2/M3: an administrator lists the addresses the reports are mailed to; refusals keep what was typed;
each change is audited; the next report made is mailed to them."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, OutboxMessage
from engine.runtime import Runtime
from engine.supervision import run_due_duties
from engine.supervision.reports.recipients import recipients_of
from engine.unit_of_work import UnitOfWork
from tests.web.support import get, login, post, submit

URL = "/admin/report-recipients"


def test_only_administrators_keep_the_report_recipients(client: FlaskClient) -> None:
    login(client, "supervisor")
    assert get(client, URL).status == 403
    token = get(client, "/tasks").csrf_token()
    assert post(client, URL, {"kind": "weekly", "address": "a@x.example"}, token).status == 403


def test_an_administrator_adds_and_removes_an_address_and_the_next_report_goes_there_m2_m3(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    login(client, "admin")
    page = submit(client, URL, {"kind": "weekly", "address": "leader", "note": "总经理"})
    assert page.status == 400 and page.error("address") is not None
    assert page.field_value("address") == "leader"
    page = submit(
        client, URL, {"kind": "weekly", "address": "leader@heat.example", "note": "总经理"}, follow=True
    )
    assert page.status == 200 and "leader@heat.example" in page.text("recipients-weekly")
    again = submit(client, URL, {"kind": "weekly", "address": "leader@heat.example"})
    assert again.status == 400 and page.has("recipients-weekly")
    submit(client, URL, {"kind": "monthly", "address": "old@city.example"}, follow=True)
    page = get(client, URL)
    [removal] = page.by_id("recipients-monthly").xpath(".//form/@action")
    post(client, removal, {}, page.csrf_token(), follow=True)

    run_due_duties(lambda: UnitOfWork(sessions, runtime), "scheduler")
    with sessions() as session:
        mails = session.execute(select(OutboxMessage.kind, OutboxMessage.recipient)).all()
        audit = session.scalars(select(AdminAudit.action).where(AdminAudit.subject_kind == "report")).all()
    assert [tuple(m) for m in mails] == [("weekly_report", "leader@heat.example")]
    assert sorted(audit) == ["report_recipient_added", "report_recipient_added", "report_recipient_removed"]


def test_an_address_is_listed_with_the_language_its_report_is_mailed_in_m3(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    refused = submit(client, URL, {"kind": "monthly", "address": "en@city.example", "language": "fr"})
    assert refused.status == 400 and refused.error("language") is not None
    assert refused.field_value("address") == "en@city.example"
    page = submit(
        client, URL, {"kind": "monthly", "address": "en@city.example", "language": "en"}, follow=True
    )
    assert "en@city.example · English" in page.text("recipients-monthly")
    with sessions() as session:
        assert recipients_of(session, "monthly", {"monthly": ("zh@city.example",)}) == [
            ("zh@city.example", "zh_CN"),
            ("en@city.example", "en"),
        ]


def test_the_same_address_sent_twice_is_listed_once_without_an_error_m2(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """A double click on Add: the second answer is no "nothing was saved" error about an address the
    first click just listed; the address is listed and audited once. Another language or note for a
    listed address is still refused, the first kept."""
    login(client, "admin")
    form = {"kind": "weekly", "address": "leader@heat.example", "note": "总经理", "language": "en"}
    for _ in range(2):
        page = submit(client, URL, form, follow=True)
        assert page.status == 200 and page.flashes() and "leader@heat.example" in page.flashes()[0]
    assert page.text("recipients-weekly").count("leader@heat.example") == 1
    other = submit(client, URL, {**form, "language": "zh_CN"})
    assert other.status == 400 and other.error("address") is not None
    with sessions() as session:
        audit = session.scalars(select(AdminAudit.action).where(AdminAudit.subject_kind == "report")).all()
    assert audit == ["report_recipient_added"]
