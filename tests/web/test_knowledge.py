"""The knowledge base pages (issue 20, item 8): supervisors write entries, everyone finds them, the intake
page asks for suggestions as the operator types, and a consultation records the entry it was answered
from (Q1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import Event, KnowledgeEntry, KnowledgeVersion, ProcessInstance
from engine.knowledge import REVIEW_AFTER
from tests.web.support import get, login, post, submit, switch_user

ENTRY = {
    "title": "室温不达标如何申请退费",
    "answer": "供热期内室温连续低于18℃，经测温确认后可按天申请退还热费。",
    "category_code": "temperature",
    "keywords": "退费 测温 室温",
    "owner": "supervisor",
    "active": "1",
}


def _add(client: FlaskClient, **overrides: Any) -> int:
    page = submit(client, "/knowledge/new", {**ENTRY, **overrides})
    assert page.status == 302, page.flashes()
    return int(page.response.headers["Location"].rsplit("/", 1)[1])


def test_a_supervisor_writes_an_entry_and_an_operator_finds_it_in_everyday_words(client: FlaskClient) -> None:
    login(client, "supervisor")
    entry_id = _add(client)
    page = get(client, f"/knowledge/{entry_id}")
    assert page.text("entry-title") == ENTRY["title"] and "18℃" in page.text("entry-answer")

    switch_user(client, "operator")
    assert get(client, "/tasks").has("nav-knowledge")
    found = get(client, "/knowledge?q=我家暖气不热能退费吗")
    assert found.by_id("knowledge-list").xpath(".//tbody/tr/@id") == [f"entry-{entry_id}"]
    assert get(client, "/knowledge?q=发票").has("knowledge-empty")
    # Reading, not writing: an operator neither sees nor reaches the editor.
    assert not found.has("knowledge-new")
    assert get(client, "/knowledge/new").status == 403
    assert submit(client, "/knowledge", ENTRY, post_url="/knowledge/new").status == 403


def test_a_bad_entry_keeps_what_was_typed_and_says_what_is_wrong(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "supervisor")
    page = submit(
        client,
        "/knowledge/new",
        {**ENTRY, "title": "", "valid_from": "2026-12-01", "valid_until": "2026-11-01"},
    )
    assert page.status == 400
    assert page.has("err-title") and "生效日期" in page.text("err-valid_until")
    assert page.by_id("answer").text == ENTRY["answer"]
    assert page.by_id("keywords").get("value") == ENTRY["keywords"]
    with sessions() as session:
        assert session.scalars(select(KnowledgeEntry)).all() == []
    for junk in (
        {"valid_from": "不是日期"},
        {"owner": "nobody"},
        {"category_code": "<script>"},
        {"answer": "x" * 9000},
    ):
        assert submit(client, "/knowledge/new", {**ENTRY, **junk}).status == 400, junk


def test_an_edit_is_a_new_version_and_an_edit_of_a_stale_version_is_a_409(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "supervisor")
    entry_id = _add(client)
    form = get(client, f"/knowledge/{entry_id}/edit")
    token = form.csrf_token()
    stale = {**ENTRY, "version": "1", "answer": "第二版答复", "note": "标准调整"}
    assert post(client, f"/knowledge/{entry_id}/edit", stale, token).status == 302
    conflict = post(client, f"/knowledge/{entry_id}/edit", {**stale, "answer": "基于旧版本"}, token)
    assert conflict.status == 409
    page = get(client, f"/knowledge/{entry_id}")
    assert "第二版答复" in page.text("entry-answer")
    assert page.by_id("entry-versions").xpath("./li/@id") == ["version-2", "version-1"]
    assert "标准调整" in page.text("version-2")
    with sessions() as session:
        assert (
            session.scalar(select(KnowledgeVersion.answer).where(KnowledgeVersion.version == 1))
            == ENTRY["answer"]
        )


def test_entries_due_for_review_are_listed_and_their_owner_marks_them_reviewed(
    client: FlaskClient, clock: SettableClock
) -> None:
    login(client, "admin")
    entry_id = _add(client, owner="supervisor")
    clock.advance(REVIEW_AFTER + timedelta(days=1))
    switch_user(client, "supervisor")
    listing = get(client, "/knowledge?show=due")
    assert listing.by_id("knowledge-list").xpath(".//tbody/tr/@id") == [f"entry-{entry_id}"]
    assert listing.has("knowledge-mine-due")
    assert get(client, f"/knowledge/{entry_id}").has("entry-review-due")
    # Somebody else's entry: an operator may read it but not mark it reviewed.
    switch_user(client, "operator")
    assert not get(client, f"/knowledge/{entry_id}").has("entry-review")
    assert (
        submit(client, f"/knowledge/{entry_id}", {}, post_url=f"/knowledge/{entry_id}/review").status == 403
    )
    switch_user(client, "supervisor")
    assert (
        submit(client, f"/knowledge/{entry_id}", {}, post_url=f"/knowledge/{entry_id}/review").status == 302
    )
    assert get(client, "/knowledge?show=due").has("knowledge-empty")


def test_the_intake_page_asks_for_suggestions_and_a_consultation_records_the_entry_used_q1(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Callable[[str], Any]
) -> None:
    deploy_process("consultation")
    login(client, "supervisor")
    entry_id = _add(client)
    switch_user(client, "operator")
    intake = get(client, "/cases/new/consultation")
    panel = intake.by_id("knowledge-panel")
    assert panel.get("data-suggest-url") == "/knowledge/suggest"
    assert intake.doc.xpath("//script[contains(@src, 'knowledge.js')]")
    suggested = client.get("/knowledge/suggest?q=室温低能退费吗&category=temperature").get_json()
    assert [e["id"] for e in suggested["entries"]] == [entry_id]
    assert suggested["entries"][0]["answer"] == ENTRY["answer"]
    assert suggested["labels"]["use"] == "采用此答复"

    page = submit(
        client,
        "/cases/new/consultation",
        {
            "customer_name": "张伟",
            "customer_phone": "13800001111",
            "question": "室温低能退费吗",
            "category": "temperature",
            "answered_now": True,
            "answer": ENTRY["answer"],
            "answered_from": str(entry_id),
        },
        post_url="/cases/new/consultation",
    )
    assert page.status == 302, page.flashes()
    with sessions() as session:
        instance_id = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.process_key == "consultation")
        ).one()
        recorded = [e.changes for e in session.scalars(select(Event).where(Event.instance_id == instance_id))]
    assert any((d or {}).get("answered_from") == [None, entry_id] for d in recorded)


def test_suggestions_answer_plain_json_whatever_is_asked(client: FlaskClient) -> None:
    assert client.get("/knowledge/suggest?q=x").status_code in (302, 401)  # staff only
    login(client, "operator")
    for query in ("", "?q=" + "暖" * 5000, "?q=%F0%9F%94%A5&category=nonsense"):
        response = client.get(f"/knowledge/suggest{query}")
        assert response.status_code == 200 and response.is_json, query
        assert response.get_json()["entries"] == []
    # A control character is refused before any view runs, as everywhere.
    assert client.get("/knowledge/suggest?category=%00").status_code == 400
