"""Claiming in the web: tabs with counts, claim and release, a clear 409 for the slower of two, and a
supervisor's reassignment, all in the case history."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime import Runtime
from tests.web.support import get, login, record_case, submit, switch_user, task_of


def tab_counts(client: FlaskClient) -> dict[str, str]:
    page = get(client, "/tasks")
    return {a.get("id")[4:]: a.xpath("./span")[0].text for a in page.by_id("task-tabs").xpath("./a")}


def test_claim_release_and_the_tabs(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    assert tab_counts(client) == {"todo": "1", "mine": "0", "group": "1"}
    page = submit(client, f"/tasks/{task_id}", {}, post_url=f"/tasks/{task_id}/claim", follow=True)
    assert page.text("claim-state") == "由您认领。" and page.has("release")
    assert tab_counts(client) == {"todo": "1", "mine": "1", "group": "0"}

    switch_user(client, "ops_head")  # same department, but the task is claimed
    page = get(client, f"/tasks/{task_id}")
    assert page.text("claim-state") == "已由 赵运行 认领。"  # by name, not login
    assert page.by_id("complete").get("disabled") is not None
    assert get(client, "/tasks?tab=group").has("no-tasks")
    slower = submit(client, f"/tasks/{task_id}", {}, post_url=f"/tasks/{task_id}/claim")
    assert slower.status == 409
    assert "已被 赵运行 认领" in slower.doc.xpath("string(//p[@class='message'])")

    switch_user(client, "ops_handler")
    submit(client, f"/tasks/{task_id}", {}, post_url=f"/tasks/{task_id}/release", follow=True)
    assert tab_counts(client) == {"todo": "1", "mine": "0", "group": "1"}


def test_a_supervisor_reassigns_and_the_history_shows_it(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "supervisor")
    assert "all" in tab_counts(client)
    page = get(client, f"/tasks/{task_id}")
    members = page.by_id("handover-members").xpath("./option/@value")
    assert members == ["operations_head", "ops_handler", "ops_head"]  # active members of operations first
    assert "billing_handler" in page.by_id("handover-others").xpath("./option/@value")
    # no reason: refused, and what was chosen is still chosen
    refused = submit(
        client, f"/tasks/{task_id}", {"assignee": "ops_head"}, post_url=f"/tasks/{task_id}/reassign"
    )
    assert refused.status == 400 and refused.has("err-handover_reason")
    assert refused.by_id("reassign-to").xpath(".//option[@selected]/@value") == ["ops_head"]
    page = submit(
        client,
        f"/tasks/{task_id}",
        {"assignee": "ops_head", "handover_reason": "赵运行今天休假"},
        post_url=f"/tasks/{task_id}/reassign",
        follow=True,
    )
    assert page.text("claim-state") == "已由 冯部长 认领。"
    case_page = get(client, f"/cases/{number}")
    (event,) = case_page.doc.xpath("//ol[@id='history']/li[contains(@class, 'kind-task_reassigned')]")
    assert "陈主管" in event.xpath("string(.//span[@class='actor'])")
    assert event.xpath("string(.//td[@class='new'])") == "冯部长"  # by name, not login
    assert "赵运行今天休假" in event.xpath("string(.//table)")
    nobody = submit(
        client,
        f"/tasks/{task_id}",
        {"assignee": "owner", "handover_reason": "试试"},
        post_url=f"/tasks/{task_id}/reassign",
    )
    assert nobody.status == 403  # a process owner does no casework


def test_work_routed_to_a_department_nobody_belongs_to_is_handed_on(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """C4 (不得推诿): a case routed to customer_service, which has no member, is not stuck: the supervisor
    sees why the buttons are disabled and hands the task to a group with people, with a reason."""
    number, case_id = record_case(sessions, runtime, category="conduct", department="customer_service")
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "supervisor")
    page = get(client, f"/tasks/{task_id}")
    assert page.by_id("complete").get("disabled") is not None and page.has("why-disabled")
    assert page.has("nobody-in-groups") and not page.has("handover-members")
    groups = page.by_id("handover-groups").xpath("./option/@value")
    assert "group:operations" in groups and "group:customer_service" not in groups
    assert "group:supervisor" not in groups
    submit(
        client,
        f"/tasks/{task_id}",
        {"assignee": "group:operations", "handover_reason": "客服中心暂无人员"},
        post_url=f"/tasks/{task_id}/reassign",
        follow=True,
    )
    history = get(client, f"/cases/{number}").doc.xpath("//li[contains(@class, 'kind-task_reassigned')]")
    assert "客服中心暂无人员" in history[-1].xpath("string(.)")

    switch_user(client, "ops_handler")  # now the operations department's to do
    assert tab_counts(client)["group"] == "1"
    page = get(client, f"/tasks/{task_id}")
    assert page.by_id("complete").get("disabled") is None


def test_the_reference_page_flags_a_department_without_members(client: FlaskClient) -> None:
    login(client, "admin")
    page = get(client, "/admin/reference")
    (warning,) = page.by_id("members-customer_service").xpath(".//span[@class='warn']")
    # The account form lists departments by name: the warning names the department, not its code.
    assert "客服中心" in warning.text_content() and "customer_service" not in warning.text_content()
    assert page.by_id("accounts-for-customer_service").get("href") == "/admin/users"
    assert page.text("members-operations") == "3"
    assert page.has("nobody-for-conduct")
    assert not page.has("nobody-for-temperature")


def test_filters_and_search_narrow_every_tab(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock
) -> None:  # noqa: ANN001
    from datetime import timedelta

    first, _ = record_case(sessions, runtime)
    second, _ = record_case(
        sessions,
        runtime,
        customer_name="李娜",
        customer_phone="13911112222",
        address="银湖路88号",
        category="billing",
        department="operations",
    )
    login(client, "ops_handler")

    def shown(query: str) -> list[str]:
        return [case for _e, _u, case in get(client, f"/tasks?{query}").task_links()]

    assert sorted(shown("")) == sorted([first, second])
    # M6: a handler sees the customer masked, so the search matches case numbers only; otherwise trying
    # names and phone digits would reveal them
    assert shown("q=银湖") == [] and shown("q=13911112222") == [] and shown("q=李娜") == []
    assert shown(f"q={first}") == [first]
    assert shown(f"q={second[-4:]}") == [second]
    assert shown("q=100%25") == []  # a % in the search is a character, not a wildcard
    assert get(client, "/tasks").by_id("filter-q").get("placeholder") == "工单号"
    assert shown("category=billing") == [second]
    assert shown("process=complaint&category=temperature") == [first]
    assert shown("due=today") == sorted([first, second], key=[first, second].index)
    assert shown("due=overdue") == []
    clock.advance(timedelta(days=1))
    assert len(shown("due=overdue")) == 2 and shown("due=today") == []
    page = get(client, f"/tasks?q={second}&tab=group")
    assert page.by_id("filter-q").get("value") == second
    assert "q=" in page.by_id("tab-mine").get("href")  # the tabs keep the filters
    switch_user(client, "supervisor")  # sees personal data: finds the customer by address and phone
    assert shown("tab=all&q=银湖") == [second]
    assert shown("tab=all&q=13911112222") == [second]


def test_a_draft_keeps_what_was_typed_without_completing(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    from tests.helpers import instance_snapshot

    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    with sessions() as session:
        before = instance_snapshot(session, case_id)
    login(client, "ops_handler")
    typed = {"investigation": "现场检查中,阀门疑似", "outcome": "", "result": "半句话"}
    page = submit(client, f"/tasks/{task_id}", typed, post_url=f"/tasks/{task_id}/draft", follow=True)
    assert page.flashes() == ["草稿已保存，任务仍未办结。"]
    assert (page.field_value("investigation"), page.field_value("result")) == (
        "现场检查中,阀门疑似",
        "半句话",
    )
    assert page.has("draft-note")
    with sessions() as session:
        assert instance_snapshot(session, case_id) == before  # not a step: the case did not move
    switch_user(client, "ops_head")  # a colleague of the group sees the draft too
    assert get(client, f"/tasks/{task_id}").field_value("investigation") == "现场检查中,阀门疑似"
    switch_user(client, "billing_handler")
    assert submit(client, "/tasks", typed, post_url=f"/tasks/{task_id}/draft").status == 403


def test_completing_without_claiming_says_it_claims_and_the_history_shows_the_claim(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The form of an unclaimed task says that completing claims it; the case history then shows the
    claim on completion by the person's name, before the completion."""
    number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    page = get(client, f"/tasks/{task_id}")
    assert page.text("claim-on-complete") == "完成任务即由您认领；历史中会记录这次认领。"
    done = submit(
        client,
        f"/tasks/{task_id}",
        {"investigation": "阀门卡滞已处理", "outcome": "resolved", "result": "已恢复供热"},
    )
    assert done.status == 302
    switch_user(client, "supervisor")
    history = get(client, f"/cases/{number}").doc.xpath("//ol[@id='history']/li")
    kinds = [li.get("class") for li in history]
    claimed = next(i for i, k in enumerate(kinds) if "kind-task_claimed_on_completion" in k)
    assert "kind-task_completed" in kinds[claimed + 1]
    assert "赵运行" in history[claimed].xpath("string(.//span[@class='actor'])")
