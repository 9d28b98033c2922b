"""The process owner's pages: versions with author, time and comment; the changes between two versions
with both diagrams side by side and the changes marked; rollback and deploying the latest draft (POSTs
with CSRF, in the audit log); the migration of running cases with its dry run. Process owners only."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessAudit, ProcessDefinition, ProcessInstance
from engine.processes.versions import deploy_version, save_draft
from engine.runtime import Runtime
from tests.helpers import (
    COMPLAINT_BPMN,
    edited,
    events_of,
    remove_element,
    set_attribute,
    version_taken_meanwhile,
)
from tests.web.support import get, login, normalise, post, record_case

CALLBACK = "//bpmn:userTask[@id='callback']"
RENAMED = edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "电话回访"))
NO_GROUP = edited(
    COMPLAINT_BPMN, set_attribute(CALLBACK, "{http://camunda.org/schema/1.0/bpmn}candidateGroups", None)
)


@pytest.fixture
def two_versions(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")


PAGES = (
    "/processes",
    "/processes/complaint/versions",
    "/processes/complaint/versions/diff?from=1&to=2",
    "/processes/complaint/migrate",
    "/processes/complaint/versions/1/download",
)


@pytest.mark.parametrize("username", ["operator", "supervisor"])
def test_only_process_owners_see_the_pages_and_post(
    client: FlaskClient, two_versions: None, username: str, sessions: sessionmaker[Session]
) -> None:
    login(client, username)
    token = get(client, "/tasks").csrf_token()
    assert [get(client, url).status for url in PAGES] == [403] * len(PAGES)
    assert post(client, "/processes/complaint/versions/1/rollback", {}, token).status == 403
    assert (
        post(client, "/processes/complaint/migrate", {"from": "1", "to": "2", "case": "x"}, token).status
        == 403
    )
    assert post(client, "/processes/complaint/versions/deploy-draft", {"comment": "x"}, token).status == 403
    with sessions() as session:
        assert len(session.scalars(select(ProcessDefinition)).all()) == 2
    assert not get(client, "/tasks").has("nav-processes")


def test_the_versions_page_lists_author_time_comment_and_running_cases(
    client: FlaskClient, two_versions: None, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    record_case(sessions, runtime)
    login(client, "owner")
    assert get(client, "/tasks").has("nav-processes")
    index = get(client, "/processes")
    assert "v2" in index.text("process-complaint")
    page = get(client, "/processes/complaint/versions")
    assert page.status == 200
    newest = page.text("version-2")
    assert (
        "林流程" in newest
        and "回访改名" in newest
        and "2026-11-23 09:00" in newest
        and "新工单使用" in newest
    )
    assert page.has("rollback-1") and not page.has("rollback-2")
    assert page.by_id("rollback-comment-1").xpath("preceding-sibling::label[@for='rollback-comment-1']")
    assert get(client, "/processes/nothing/versions").status == 404


def test_the_diff_page_shows_both_diagrams_with_the_changes_marked(
    client: FlaskClient, two_versions: None
) -> None:
    login(client, "owner")
    page = get(client, "/processes/complaint/versions/diff?from=1&to=2")
    assert page.status == 200
    (changed,) = page.by_id("changed").xpath("./li")
    assert changed.get("data-element") == "callback"
    assert "名称由“回访客户”改为“电话回访”" in changed.text_content()
    assert page.by_id("xml-old").text_content().encode("utf-8") == COMPLAINT_BPMN.read_bytes()
    assert page.by_id("xml-new").text_content().encode("utf-8") == RENAMED
    assert json.loads(page.by_id("markers-old").text_content()) == {"removed": [], "changed": ["callback"]}
    assert json.loads(page.by_id("markers-new").text_content()) == {"added": [], "changed": ["callback"]}
    assert page.by_id("diagram-old").get("data-bpmn-viewer") == "xml-old"
    assert page.by_id("diagram-new").get("data-markers") == "markers-new"
    assert get(client, "/processes/complaint/versions/diff?from=1&to=9").status == 404


def test_rollback_is_a_post_with_csrf_and_is_audited(
    client: FlaskClient, two_versions: None, sessions: sessionmaker[Session]
) -> None:
    login(client, "owner")
    assert post(client, "/processes/complaint/versions/1/rollback", {"comment": "x"}, None).status == 400
    token = get(client, "/processes/complaint/versions").csrf_token()
    done = post(
        client, "/processes/complaint/versions/1/rollback", {"comment": "回访名称改回"}, token, follow=True
    )
    assert done.status == 200
    assert any("3" in message for message in done.flashes())
    with sessions() as session:
        v3 = session.scalars(select(ProcessDefinition).where(ProcessDefinition.version == 3)).one()
        assert (v3.source, v3.deployed_by, v3.comment) == ("rollback", "owner", "回访名称改回")
        audit = session.scalars(select(ProcessAudit).order_by(ProcessAudit.id.desc())).first()
        assert (audit.action, audit.actor, audit.details["restored_version"]) == ("rollback", "owner", 1)
    assert "v1" in done.text("audit")


def test_an_invalid_draft_shows_its_problems_and_is_not_deployed(
    client: FlaskClient, two_versions: None, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        save_draft(session, NO_GROUP, "owner", clock=runtime.clock, zone=runtime.zone)
    login(client, "owner")
    page = get(client, "/processes/complaint/versions")
    (problem,) = page.by_id("problems").xpath("./li")
    assert (problem.get("data-element"), problem.get("data-code")) == ("callback", "missing-candidate-group")
    assert json.loads(page.by_id("markers-draft").text_content()) == {"problem": ["callback"]}
    assert page.by_id("xml-draft").text_content().encode("utf-8") == NO_GROUP
    refused = post(
        client, "/processes/complaint/versions/deploy-draft", {"comment": "试试"}, page.csrf_token()
    )
    assert refused.status == 400
    assert refused.by_id("problems").xpath("./li/@data-element") == ["callback"]
    with sessions() as session:
        assert len(session.scalars(select(ProcessDefinition)).all()) == 2
    with sessions.begin() as session:
        save_draft(
            session,
            edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访")),
            "owner",
            clock=runtime.clock,
            zone=runtime.zone,
        )
    token = get(client, "/processes/complaint/versions").csrf_token()
    deployed = post(client, "/processes/complaint/versions/deploy-draft", {"comment": "回访"}, token)
    assert deployed.status == 302
    with sessions() as session:
        newest = session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version.desc())).first()
        assert (newest.version, newest.source, newest.comment) == (3, "browser", "回访")


def test_problems_are_shown_in_english_too(
    client: FlaskClient, two_versions: None, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with sessions.begin() as session:
        save_draft(session, NO_GROUP, "owner", clock=runtime.clock, zone=runtime.zone)
    login(client, "owner")
    chinese = get(client, "/processes/complaint/versions").text("problems")
    token = get(client, "/tasks").csrf_token()
    post(client, "/lang/en", {"next": "/processes/complaint/versions"}, token)
    english = get(client, "/processes/complaint/versions").text("problems")
    assert "does not say who may do it" in english
    assert chinese != english and "回访客户" in chinese


def test_dry_run_then_apply_moves_the_chosen_cases(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    first, first_id = record_case(sessions, runtime)
    second, second_id = record_case(sessions, runtime)
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")
    login(client, "owner")
    page = get(client, "/processes/complaint/migrate?dry_run=1&from=1&to=2")
    assert page.status == 200
    assert page.by_id("m-from").xpath(".//option[@selected]/@value") == ["1"]
    assert "试运行：2 件工单中有 2 件可以从版本 1 迁移到版本 2" in page.text("plan")
    for number in (first, second):
        row = page.by_id(f"plan-{number}")
        assert row.get("class") == "movable"
        assert row.xpath(".//ul[@class='tokens']/li/@data-element") == [
            "department_handling",
            "reply_deadline",
        ]
    only_first = get(client, f"/processes/complaint/migrate?dry_run=1&from=1&to=2&cases={first}")
    assert only_first.has(f"plan-{first}") and not only_first.has(f"plan-{second}")

    moved = post(
        client,
        "/processes/complaint/migrate",
        {"from": "1", "to": "2", "case": first, "comment": "试点"},
        page.csrf_token(),
        follow=True,
    )
    assert moved.status == 200
    with sessions() as session:
        assert session.get(ProcessInstance, first_id).definition.version == 2
        assert session.get(ProcessInstance, second_id).definition.version == 1
        assert events_of(session, first_id)[-1].kind == "case_migrated"
        audit = session.scalars(select(ProcessAudit).where(ProcessAudit.action == "migrate")).one()
        assert (audit.comment, audit.details["migrated"]) == ("试点", [first])
    history = get(client, f"/cases/{first}").history()
    assert history[-1].changes["流程版本"] == ("1", "2")


@pytest.mark.parametrize("action", ["rollback", "deploy-draft"])
def test_a_deploy_that_lost_the_race_for_its_version_number_says_so_and_writes_nothing(
    client: FlaskClient,
    two_versions: None,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    with sessions.begin() as session:
        save_draft(
            session,
            edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访")),
            "owner",
            clock=runtime.clock,
            zone=runtime.zone,
        )
    login(client, "owner")
    token = get(client, "/processes/complaint/versions").csrf_token()
    with sessions.begin() as session:
        deploy_version(
            session,
            runtime,
            edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访电话")),
            "rival",
            "同期",
        )
    version_taken_meanwhile(monkeypatch, seen_version=2)
    url = {
        "rollback": "/processes/complaint/versions/1/rollback",
        "deploy-draft": "/processes/complaint/versions/deploy-draft",
    }[action]
    lost = post(client, url, {"comment": "同时"}, token)
    assert lost.status == 409
    assert any("版本 3" in flash and "重新加载" in flash for flash in lost.flashes()), lost.flashes()
    assert "rival" in lost.text("version-3")
    with sessions() as session:
        assert len(session.scalars(select(ProcessDefinition)).all()) == 3
        assert not session.scalars(select(ProcessAudit).where(ProcessAudit.comment == "同时")).all()


def test_a_draft_already_deployed_or_older_than_the_newest_version_is_not_offered(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        save_draft(session, RENAMED, "owner", clock=clock, zone=runtime.zone)
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")
    login(client, "owner")
    page = get(client, "/processes/complaint/versions")
    assert not page.has("deploy-draft") and not page.has("edit-draft")
    assert page.text("draft").endswith("没有等待部署的草稿。")
    assert (
        normalise(
            get(client, "/processes")
            .by_id("process-complaint")
            .xpath(".//td[@class='draft']")[0]
            .text_content()
        )
        == "—"
    )
    assert "版本 2" in get(client, "/modeler/complaint").text("opened-from")
    assert page.text("audit").count("部署") == 2 and "部署时间" not in page.text("audit")
    assert normalise(page.doc.xpath("//h1")[0].text_content()) == "“投诉处理”的版本"

    clock.advance(timedelta(minutes=5))
    with sessions.begin() as session:  # the first version's diagram again: nothing new to deploy
        save_draft(session, COMPLAINT_BPMN.read_bytes(), "owner", clock=clock, zone=runtime.zone)
    assert not get(client, "/processes/complaint/versions").has("deploy-draft")
    with sessions.begin() as session:
        save_draft(session, NO_GROUP, "owner", clock=clock, zone=runtime.zone)
    assert get(client, "/processes/complaint/versions").has("deploy-draft")
    clock.advance(timedelta(minutes=5))
    with sessions.begin() as session:
        deploy_version(
            session, runtime, edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访")), "owner", "x"
        )
    assert not get(client, "/processes/complaint/versions").has("deploy-draft")


def test_the_migration_starts_from_the_newest_version_with_running_cases(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    record_case(sessions, runtime)
    with sessions.begin() as session:
        deploy_version(session, runtime, RENAMED, "owner", "回访改名")
    record_case(sessions, runtime)
    with sessions.begin() as session:
        deploy_version(
            session, runtime, edited(COMPLAINT_BPMN, set_attribute(CALLBACK, "name", "回访")), "owner", "x"
        )
    login(client, "owner")
    page = get(client, "/processes/complaint/migrate")
    assert page.by_id("m-from").xpath(".//option[@selected]/@value") == ["2"]
    assert page.by_id("m-to").xpath(".//option[@selected]/@value") == ["3"]


UNDECLARED_PHONE = edited(
    COMPLAINT_BPMN,
    remove_element(
        "//camunda:formField[@id='customer_phone']/camunda:properties/camunda:property[@id='personal']"
    ),
)


def test_the_warnings_of_the_draft_and_of_the_newest_version_are_shown_in_both_languages(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """Issue 14 follow-up: what /modeler/validate and `hotline deploy` warn about (a field that looks
    personal but is not declared so) is said on the versions page too, for the draft and the version new
    cases start on; the draft still deploys."""
    login(client, "owner")
    page = get(client, "/processes/complaint/versions")
    assert not page.has("draft-warnings") and not page.has("newest-warnings")
    with sessions.begin() as session:
        save_draft(session, UNDECLARED_PHONE, "owner", clock=runtime.clock, zone=runtime.zone)
    page = get(client, "/processes/complaint/versions")
    (warning,) = page.by_id("draft-warnings").xpath("./li")
    assert (warning.get("data-element"), warning.get("data-code")) == ("intake", "undeclared-personal-field")
    assert "customer_phone" in warning.text_content() and not page.has("problems")
    chinese = warning.text_content()
    deployed = post(
        client, "/processes/complaint/versions/deploy-draft", {"comment": "电话"}, page.csrf_token()
    )
    assert deployed.status == 302
    token = get(client, "/tasks").csrf_token()
    post(client, "/lang/en", {"next": "/processes/complaint/versions"}, token)
    page = get(client, "/processes/complaint/versions")
    assert "Version 2 deploys, but deserves a look:" in normalise(page.text("newest-warnings-card"))
    english = page.text("newest-warnings")
    assert "looks like a customer's personal data but is not declared so" in english
    assert english != chinese and not page.has("draft-warnings")
