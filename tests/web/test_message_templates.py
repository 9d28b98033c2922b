"""The message wording pages: administrators only; the variables beside the text; the SMS length; a
refused wording keeps what was typed; a preview from a real recent case; versions and the reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db import Notice
from engine.messaging import wordings
from engine.runtime import Runtime
from tests.web.support import get, login, post, record_case, submit

URL = "/admin/messages/chase/zh_CN"


def test_only_administrators_reword_messages(client: FlaskClient) -> None:
    login(client, "operator")
    assert get(client, "/admin/messages").status == 403
    token = get(client, "/tasks").csrf_token()
    assert post(client, URL, {"text": "x", "based_on": "0"}, token).status == 403


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_kind_has_a_page_with_its_variables_and_the_shipped_text(
    client: FlaskClient, language: str
) -> None:
    login(client, "admin")
    listing = get(client, "/admin/messages")
    assert listing.status == 200
    for kind in (
        "outage",
        "estimate",
        "restoration",
        "consultation_reply",
        "liaison",
        "chase",
        "weekly_report",
        "monthly_report",
    ):
        assert listing.has(f"edit-{kind}-{language}")
        page = get(client, f"/admin/messages/{kind}/{language}")
        assert page.status == 200 and page.has("variables") and page.has("sms-length")
    page = get(client, f"/admin/messages/chase/{language}")
    assert "{case}" in page.text("variables") and "{due}" in page.text("variables")
    shipped = page.text("shipped")
    assert ("督办" in shipped) if language == "zh_CN" else ("Overdue" in shipped)
    assert get(client, "/admin/messages/nothing/zh_CN").status == 404
    assert get(client, "/admin/messages/chase/fr").status == 404


def test_a_refused_wording_says_why_and_keeps_what_was_typed(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    typed = "催办 {case} {customer_phone"
    page = submit(client, URL, {"subject": "催办", "text": typed, "based_on": "0", "action": "save"})
    assert page.status == 400
    assert page.field_value("text") == typed
    assert "{{" in page.text("err-text")
    page = submit(client, URL, {"subject": "催办", "text": "催办 {phone}", "based_on": "0", "action": "save"})
    assert page.status == 400 and "phone" in page.text("err-text") and "case" in page.text("err-text")
    with sessions() as session:
        assert wordings(session, "chase") == {}


def test_a_preview_fills_the_typed_wording_from_a_real_recent_case_and_counts_the_sms(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _id = record_case(sessions, runtime)
    login(client, "admin")
    text = "请督办工单 {case}"
    page = submit(client, URL, {"subject": "催办", "text": text, "based_on": "0", "action": "preview"})
    assert page.status == 200
    assert f"请督办工单 {number}" in page.text("preview")
    chars = len(f"请督办工单 {number}")
    assert f"{chars}" in page.text("sms-length") and "UCS-2" in page.text("sms-length")
    with sessions() as session:
        assert wordings(session, "chase") == {}  # a preview keeps nothing


def test_a_preview_names_the_task_in_the_messages_language_whatever_the_pages(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The chase notice's preview names the latest task as the message will: in Chinese in the Chinese
    wording and by the diagram's English name in the English one, in either language of the page."""
    number, _id = record_case(sessions, runtime)
    login(client, "admin")
    for page_language in ("zh_CN", "en"):
        token = get(client, "/admin/messages").csrf_token()
        assert post(client, f"/lang/{page_language}", {"next": "/admin/messages"}, token).status == 302
        chinese = get(client, "/admin/messages/chase/zh_CN").text("preview")
        english = get(client, "/admin/messages/chase/en").text("preview")
        assert f"工单 {number}「调查处理并答复」" in chinese, (page_language, chinese)
        assert f"“Investigate, handle and reply” of case {number}" in english, (page_language, english)


def test_an_administrator_saves_versions_and_goes_back_to_the_shipped_text(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = submit(
        client,
        URL,
        {"subject": "催办 {case}", "text": "请督办 {case}：{task}", "based_on": "0", "action": "save"},
        follow=True,
    )
    assert page.status == 200 and page.has("version-1") and page.has("reset-button")
    stale = submit(client, URL, {"subject": "x", "text": "迟了 {case}", "based_on": "0", "action": "save"})
    assert stale.status == 409
    page = submit(client, URL, {"based_on": "1", "action": "reset"}, follow=True)
    assert page.has("version-2") and not page.has("reset-button")
    with sessions() as session:
        assert wordings(session, "chase") == {}


def test_a_restoration_preview_says_a_time_before_any_outage_is_restored(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """O2's restoration notice, previewed while the latest outage still runs: it comes back when expected
    (22:00 in Beijing), never "restored at -"; once one is restored, its real time."""
    number, instance_id = record_case(sessions, runtime)
    published = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    notice = {"instance_id": instance_id, "case_number": number, "kind": "outage", "service": "water"}
    notice |= {"outage_type": "fault", "district": "金明区", "published_at": published}
    with sessions.begin() as session:
        session.add(Notice(**notice, estimated_restore_at=datetime(2026, 11, 23, 14, 0, tzinfo=UTC)))
    login(client, "admin")
    preview = get(client, "/admin/messages/restoration/zh_CN").text("preview")
    assert "已于2026-11-23 22:00恢复" in preview and "-恢复" not in preview, preview
    with sessions.begin() as session:
        restored = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
        session.add(Notice(**{**notice, "kind": "restoration"}, restored_at=restored))
        session.add(Notice(**notice))  # a later outage, not restored: the restored one is shown
    assert "已于2026-11-23 20:30恢复" in get(client, "/admin/messages/restoration/zh_CN").text("preview")
