"""People by name: history, versions and the user menu say who someone is (their display name, or the
system), not their login; the names come from one query per page, however many rows name someone."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import ProcessInstance
from engine.runtime import SYSTEM, Runtime
from tests.web.support import NAMES, get, login, record_case, statements, submit, switch_user, task_of


def name_lookups(seen: list[str]) -> list[str]:
    return [s for s in seen if "app_user.display_name" in s and "WHERE" not in s.upper()]


def test_the_history_names_people_with_one_query_per_page(
    app: Flask, client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)  # by op1, who has no account: shown by login
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    submit(client, f"/tasks/{task_id}", {}, post_url=f"/tasks/{task_id}/claim")
    switch_user(client, "supervisor")
    with statements(app) as seen:
        page = get(client, f"/cases/{number}")
    actors = [entry.actor.split(maxsplit=1)[1] for entry in page.history()]
    assert set(actors) == {"op1", NAMES["ops_handler"], "系统"} and len(actors) > 4
    assert len(name_lookups(seen)) == 1


def test_a_case_the_system_opened_says_so(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    number, case_id = record_case(sessions, runtime)
    with sessions.begin() as session:  # as the weekly draw opens a sampled callback (M1)
        session.get(ProcessInstance, case_id).opened_by = SYSTEM.username  # type: ignore[union-attr]
    login(client, "supervisor")
    page = get(client, f"/cases/{number}")
    meta = page.doc.xpath("string(//p[@class='meta'])")
    assert "经办人 系统" in " ".join(meta.split()) and "system" not in meta, meta


def test_the_user_menu_lists_role_names(client: FlaskClient) -> None:
    login(client, "admin")
    (title,) = get(client, "/tasks").doc.xpath("//span[@class='who']/@title")
    assert set(title.split("、")) == {"管理员", "值班主管", "流程负责人"}
    switch_user(client, "ops_head")
    (title,) = get(client, "/tasks").doc.xpath("//span[@class='who']/@title")
    assert "department_head" not in title and "operations" not in title
