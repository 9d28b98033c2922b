"""Merging and linking cases (并单, issue 20 item 3): likely duplicates proposed at intake and on the case
page with why they match, a duplicate merged from the intake page or the case page keeping every caller
for the callback (C5) and never deleted (C7), races and repeats refused with 409, related cases, and calls
about an announced outage counted on it without a new repair (O1)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from engine.db.models import CaseLink, Event, HumanTask, Notice, ProcessInstance
from engine.errors import Conflict
from engine.runtime import Actor, CallGrouping, Runtime
from engine.work import merging
from tests.helpers import intake_form
from tests.web.support import get, login, post, record_case, rows, submit, switch_user, task_of

SUPERVISOR = Actor("supervisor", frozenset({"supervisor"}))


def _events(sessions: sessionmaker[Session], instance_id: int) -> list[Event]:
    with sessions() as session:
        return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))


def _status(sessions: sessionmaker[Session], instance_id: int) -> str:
    with sessions() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return instance.status


def _suggested(client: FlaskClient, **query: str) -> dict[str, Any]:
    response = client.get("/cases/duplicates", query_string=query)
    assert response.status_code == 200 and response.is_json
    found: dict[str, Any] = response.get_json()
    return found


def test_likely_duplicates_at_intake_say_why_they_match_within_the_window(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: Any
) -> None:
    old, _old_id = record_case(sessions, runtime)  # the same phone, but opened before the window
    clock.advance(timedelta(hours=80))
    same_phone, _ = record_case(sessions, runtime)
    same_building, _ = record_case(
        sessions, runtime, customer_phone="13900002222", address="金明小区3号楼1单元101", category="leak"
    )
    same_category, _ = record_case(sessions, runtime, customer_phone="13700003333", address="幸福里8栋")
    elsewhere, _ = record_case(
        sessions, runtime, customer_phone="13600004444", address="幸福里9栋", category="leak"
    )
    login(client, "operator")
    intake = get(client, "/cases/new/complaint")
    assert intake.by_id("duplicates-panel").get("data-url") == "/cases/duplicates"
    assert intake.doc.xpath("//script[contains(@src, 'duplicates.js')]")
    found = _suggested(client, phone="13800001111", address="金明小区3号楼2单元502", category="temperature")
    by_number = {d["case_number"]: d["reasons"] for d in found["duplicates"]}
    assert list(by_number) == [same_phone, same_building, same_category]
    assert by_number[same_phone] == ["相同电话", "同一楼栋", "相同类别"]
    assert by_number[same_building] == ["同一楼栋"] and by_number[same_category] == ["相同类别"]
    assert old not in by_number and elsewhere not in by_number
    # The window is a setting: a shorter one leaves out what is older.
    clock.advance(timedelta(hours=2))
    runtime.call_grouping = CallGrouping(duplicate_window=timedelta(hours=1))
    assert _suggested(client, phone="13800001111")["duplicates"] == []


def test_the_duplicates_answer_is_for_who_merges_and_takes_any_input(client: FlaskClient) -> None:
    assert client.get("/cases/duplicates").status_code in (302, 401)
    login(client, "ops_handler")
    assert client.get("/cases/duplicates?phone=1").status_code == 403
    switch_user(client, "operator")
    for query in ("", "?phone=" + "1" * 5000, "?address=%F0%9F%94%A5&category=nonsense"):
        found = _suggested(client, **dict(p.split("=", 1) for p in query[1:].split("&") if p))
        assert found["duplicates"] == [] and found["outages"] == [], query
    assert client.get("/cases/duplicates?phone=%00").status_code == 400


def test_merging_from_the_intake_page_keeps_every_caller_for_the_callback_and_deletes_nothing_c5_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    first, first_id = record_case(sessions, runtime)
    login(client, "operator")
    before = rows(sessions)
    page = submit(
        client,
        "/cases/new/complaint",
        {**intake_form(customer_name="李娜", customer_phone="13900002222"), "merge_into": first},
    )
    assert page.status == 302 and page.response.headers["Location"] == f"/cases/{first}"
    with sessions() as session:
        duplicate = session.scalars(select(ProcessInstance).where(ProcessInstance.id != first_id)).one()
        open_left = session.scalars(
            select(HumanTask).where(HumanTask.instance_id == duplicate.id, HumanTask.status == "open")
        ).all()
        (link,) = session.scalars(select(CaseLink)).all()
    assert duplicate.status == "merged" and duplicate.closed_at is not None and open_left == []
    assert (link.instance_id, link.other_id, link.kind) == (duplicate.id, first_id, "merged")
    assert rows(sessions)["process_instance"] == before["process_instance"] + 1  # recorded, never deleted
    merged_event = _events(sessions, duplicate.id)[-1]
    assert merged_event.kind == "case_merged" and merged_event.changes["merged_into"] == [None, first]
    assert _events(sessions, first_id)[-1].changes["duplicate"] == [None, duplicate.case_number]

    survivor = get(client, f"/cases/{first}", follow_redirects=True)
    assert "并入工单" in " ".join(survivor.flashes())
    callers = survivor.by_id("callers")
    assert "13800001111" in callers.text_content() and "13900002222" in callers.text_content()
    listed = get(client, "/cases").doc.xpath(f"//tr[.//a[text()='{duplicate.case_number}']]//span")
    assert [span.text for span in listed if "badge" in span.get("class", "")] == ["已并单"]
    merged_page = get(client, f"/cases/{duplicate.case_number}")
    assert merged_page.text("case-status") == "已并单" and merged_page.has("merged-into")
    assert merged_page.doc.xpath("//ol[@id='history']/li[contains(@class, 'kind-case_merged')]")

    # The department's step shows every caller too, as it shows its own customer: the phone it must
    # call in full, the name masked (M6).
    switch_user(client, "ops_handler")
    task_page = get(client, f"/tasks/{task_of(sessions, first_id, 'department_handling')}")
    task_callers = task_page.by_id("callers").text_content()
    assert duplicate.case_number in task_callers and "13900002222" in task_callers
    assert "李娜" not in task_callers and "李*" in task_callers
    switch_user(client, "operator")

    # A merged case is not merged again (409), nor is a case merged into itself (400); never a 500.
    token = survivor.csrf_token()
    again = post(client, f"/cases/{duplicate.case_number}/merge", {"into": first, "reason": "重复"}, token)
    assert again.status == 409
    itself = post(client, f"/cases/{first}/merge", {"into": first, "reason": "重复"}, token)
    assert itself.status == 400
    no_reason = post(client, f"/cases/{first}/merge", {"into": duplicate.case_number, "reason": " "}, token)
    assert no_reason.status == 400
    unknown = post(client, f"/cases/{first}/merge", {"into": "NOPE-1", "reason": "重复"}, token)
    assert unknown.status == 404


def test_two_merges_of_one_case_at_once_the_second_is_a_409(
    sessions: sessionmaker[Session], runtime: Runtime, clock: Any, deployed: Any
) -> None:
    _a, a_id = record_case(sessions, runtime)
    _b, b_id = record_case(sessions, runtime)
    _c, c_id = record_case(sessions, runtime)
    now = clock.now()
    with sessions() as session:
        version_read = session.get(ProcessInstance, c_id).version  # type: ignore[union-attr]
    with sessions.begin() as quick:
        merging.merge_case(
            quick, quick.get(ProcessInstance, c_id), quick.get(ProcessInstance, a_id), SUPERVISOR, "重复", now
        )
    with sessions() as late:
        # The other merge read the case before the first one committed: its row is stale.
        duplicate = late.get(ProcessInstance, c_id)
        assert duplicate is not None
        set_committed_value(duplicate, "version", version_read)
        set_committed_value(duplicate, "status", "running")
        with pytest.raises(Conflict):
            merging.merge_case(late, duplicate, late.get(ProcessInstance, b_id), SUPERVISOR, "重复", now)
    with sessions() as session:
        assert [(link.other_id, link.kind) for link in session.scalars(select(CaseLink))] == [
            (a_id, "merged")
        ]
    with sessions() as session, pytest.raises(Conflict):
        merging.merge_case(
            session,
            session.get(ProcessInstance, b_id),
            session.get(ProcessInstance, c_id),
            SUPERVISOR,
            "x",
            now,
        )  # nothing is merged into a case that is closed


def test_the_case_page_proposes_duplicates_merges_and_links_related_cases(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    first, _first_id = record_case(sessions, runtime)
    second, second_id = record_case(
        sessions, runtime, customer_phone="13900002222", address="金明小区3号楼1单元101"
    )
    third, _ = record_case(sessions, runtime, customer_phone="13700003333", address="金明小区3号楼9单元901")
    login(client, "supervisor")
    page = get(client, f"/cases/{second}")
    proposal = page.by_id(f"duplicate-{first}")
    assert {b.text for b in proposal.xpath(".//span[contains(@class, 'badge')]")} == {"同一楼栋", "相同类别"}
    token = page.csrf_token()
    linked = post(client, f"/cases/{second}/link", {"other": third, "reason": "同一楼栋漏水"}, token)
    assert linked.status == 302
    assert get(client, f"/cases/{third}").by_id("linked-cases").text_content().count(second) == 1
    again = post(client, f"/cases/{third}/link", {"other": second, "reason": "再次"}, token, follow=True)
    assert "已经关联" in " ".join(again.flashes())
    merged = post(client, f"/cases/{second}/merge", {"into": first, "reason": "同一件事"}, token)
    assert merged.status == 302 and _status(sessions, second_id) == "merged"
    assert [e.kind for e in _events(sessions, second_id)][-2:] == ["case_linked", "case_merged"]
    # Staff without the merge, and a department, neither see the proposals nor merge.
    switch_user(client, "ops_handler")
    assert post(client, f"/cases/{third}/merge", {"into": first, "reason": "x"}, token).status in (400, 403)


def test_a_confidential_duplicate_is_never_proposed_by_its_caller_and_is_masked_among_the_callers_c7(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: Any
) -> None:
    first, first_id = record_case(
        sessions, runtime, customer_name="李娜", customer_phone="13900002222", address="幸福里8栋"
    )
    hidden, hidden_id = record_case(sessions, runtime, confidential=True, category="leak")
    login(client, "operator")
    assert _suggested(client, phone="13800001111", address="金明小区3号楼2单元501")["duplicates"] == []
    with sessions.begin() as session:
        merging.merge_case(
            session,
            session.get(ProcessInstance, hidden_id),
            session.get(ProcessInstance, first_id),
            SUPERVISOR,
            "同一件事",
            clock.now(),
        )
    switch_user(client, "dispatcher")
    callers = get(client, f"/cases/{first}").by_id("callers").text_content()
    assert hidden in callers and "13800001111" not in callers and "张伟" not in callers
    # The supervisors see a confidential caller on that caller's own case, where each full view is recorded.
    switch_user(client, "supervisor")
    assert "13800001111" not in get(client, f"/cases/{first}").by_id("callers").text_content()
    assert "13800001111" in get(client, f"/cases/{hidden}").html


def _announce(sessions: sessionmaker[Session], instance_id: int, number: str, kind: str = "outage") -> None:
    at = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    with sessions.begin() as session:
        session.add(
            Notice(
                instance_id=instance_id,
                case_number=number,
                kind=kind,
                service="heating",
                outage_type="fault",
                district="金明区",
                building="3号楼",
                unit="",
                cause="管道爆裂",
                starts_at=at,
                estimated_restore_at=at + timedelta(hours=8),
                restored_at=None,
                published_at=at,
            )
        )


def test_a_call_about_an_announced_outage_is_counted_on_it_without_a_new_repair_o1(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    outage, outage_id = record_case(sessions, runtime, address="金明区换热站", customer_phone="13500005555")
    _announce(sessions, outage_id, outage)
    login(client, "operator")
    found = _suggested(client, address="金明小区3号楼2单元501")
    assert [o["case_number"] for o in found["outages"]] == [outage]
    assert _suggested(client, address="幸福里8栋")["outages"] == []
    before = rows(sessions)
    page = submit(client, "/cases/new/complaint", intake_form(), post_url=f"/cases/{outage}/outage-calls")
    assert page.status == 302 and page.response.headers["Location"] == f"/cases/{outage}"
    assert rows(sessions)["process_instance"] == before["process_instance"]  # no repair opened
    (call,) = [e for e in _events(sessions, outage_id) if e.kind == "outage_call"]
    assert call.changes["building"] == [None, "金明小区3号楼"] and "13800001111" not in str(call.changes)
    shown = get(client, f"/cases/{outage}", follow_redirects=True)
    assert shown.by_id("outage-calls").get("data-count") == "1"
    assert outage in " ".join(shown.flashes())
    # A restored outage takes no more calls; a case that announced nothing neither.
    _announce(sessions, outage_id, outage, kind="restoration")
    token = shown.csrf_token()
    assert post(client, f"/cases/{outage}/outage-calls", intake_form(), token).status == 400
    plain, _ = record_case(sessions, runtime)
    assert post(client, f"/cases/{plain}/outage-calls", intake_form(), token).status == 400


def test_merging_speaks_english_too(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    first, _ = record_case(sessions, runtime)
    second, _ = record_case(sessions, runtime)
    login(client, "supervisor")
    token = get(client, "/tasks").csrf_token()
    post(client, "/lang/en", {"next": "/tasks"}, token)
    found = _suggested(client, phone="13800001111")
    assert found["labels"]["merge"] == "Record and merge into this case"
    assert found["duplicates"][0]["reasons"][0] == "same phone"
    page = get(client, f"/cases/{second}")
    assert page.by_id(f"merge-into-{first}").text == "Merge this case into it"
    done = post(client, f"/cases/{second}/merge", {"into": first, "reason": "same"}, token, follow=True)
    assert "merged into case" in " ".join(done.flashes())
    assert get(client, f"/cases/{second}").text("case-status") == "merged"
