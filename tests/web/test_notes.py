"""Notes on a case: added from the case page or a task page, shown beside the form and in the history,
escaped, limited in size with the typed text kept, mentions that tell people and groups in the app, and
never edited or deleted."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import CaseNote, NoteIsFinal, Notification
from engine.runtime import Runtime
from engine.work import MAX_NOTE_LENGTH
from tests.web.support import get, login, post, record_case, switch_user, task_of


def add_note(client: FlaskClient, page_url: str, number: str, text: str, back: str = "") -> str:
    token = get(client, page_url).csrf_token()
    page = post(client, f"/cases/{number}/notes", {"text": text, "back": back}, token)
    assert page.status == 302
    return page.response.headers["Location"]


def test_a_note_from_the_task_page_shows_beside_the_form_and_on_the_case_page_escaped(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime, department="operations")
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    text = "已联系换热站,<b>明早</b>复查 & 回电。"
    assert (
        add_note(client, f"/tasks/{task_id}", number, text, back=f"/tasks/{task_id}") == f"/tasks/{task_id}"
    )
    task_page = get(client, f"/tasks/{task_id}")
    assert task_page.doc.xpath("//ol[@id='note-list']/li/p[@class='note-text']/text()") == [text]
    assert "<b>明早</b>" not in task_page.html and "&lt;b&gt;明早&lt;/b&gt;" in task_page.html
    switch_user(client, "supervisor")
    case_page = get(client, f"/cases/{number}")
    assert case_page.doc.xpath("//ol[@id='note-list']/li/p[@class='note-text']/text()") == [text]
    assert case_page.doc.xpath("//ol[@id='history']/li[contains(@class, 'kind-note_added')]")
    with sessions() as session:
        (note,) = session.scalars(select(CaseNote)).all()
        assert (note.author, note.instance_id, note.text) == ("ops_handler", case_id, text)


def test_mentions_tell_the_person_and_every_member_of_the_group(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime, department="operations")
    login(client, "supervisor")
    add_note(
        client, f"/cases/{number}", number, "@operator 请回电客户;@operations 请今天处理。@nobody 不存在"
    )
    with sessions() as session:
        told = sorted(session.scalars(select(Notification.recipient).where(Notification.kind == "mention")))
        note = session.scalars(select(CaseNote)).one()
    assert "operator" in told and "ops_handler" in told and "ops_head" in told
    assert "supervisor" not in told and "nobody" not in told
    assert note.mentions["users"] == ["operator"] and note.mentions["groups"] == ["operations"]
    switch_user(client, "ops_handler")
    messages = get(client, "/notifications")
    assert number in messages.html and "提到了您" in messages.html


def test_a_too_long_note_is_refused_with_the_text_kept_in_both_languages(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime)
    login(client, "supervisor")
    text = "长" * (MAX_NOTE_LENGTH + 1)
    add_note(client, f"/cases/{number}", number, text)
    page = get(client, f"/cases/{number}")
    assert any(str(MAX_NOTE_LENGTH) in f for f in page.flashes()), page.flashes()
    assert page.doc.xpath("//textarea[@id='note-text']/text()") == [text]
    with sessions() as session:
        assert session.scalars(select(CaseNote)).all() == []
    post(client, "/lang/en", {"next": f"/cases/{number}"}, get(client, f"/cases/{number}").csrf_token())
    add_note(client, f"/cases/{number}", number, "")
    english = get(client, f"/cases/{number}")
    assert english.flashes() == ["Write the note first."]
    assert english.has("note-form") and "Add note" in english.html


def test_a_note_on_a_case_the_user_may_not_read_is_refused(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime, department="operations")
    login(client, "billing_handler")
    token = get(client, "/tasks").csrf_token()
    page = post(client, f"/cases/{number}/notes", {"text": "看一下"}, token)
    assert page.status == 404
    assert post(client, "/cases/TS-20990101-0001/notes", {"text": "x"}, token).status == 404


def test_notes_are_never_changed_or_deleted(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, _case_id = record_case(sessions, runtime)
    login(client, "supervisor")
    add_note(client, f"/cases/{number}", number, "第一次回电无人接听")
    with pytest.raises(NoteIsFinal), sessions.begin() as session:
        session.scalars(select(CaseNote)).one().text = "改过的备注"
    with pytest.raises(NoteIsFinal), sessions.begin() as session:
        session.delete(session.scalars(select(CaseNote)).one())
    with sessions() as session:
        assert session.scalars(select(CaseNote.text)).all() == ["第一次回电无人接听"]
    # no page offers a way either
    assert client.get(f"/cases/{number}/notes").status_code == 405
