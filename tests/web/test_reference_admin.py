"""Reference data kept by an administrator: categories route new cases and set on-site deadlines."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Category
from engine.decisions import deploy_decision
from tests.integration.processes.test_decisions import rerouted
from tests.web.support import get, login, post, submit, switch_user


def _category(sessions: sessionmaker[Session], code: str) -> Category | None:
    with sessions() as session:
        return session.get(Category, code)


def test_only_administrators_see_and_change_reference_data(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    assert get(client, "/admin/reference").status == 403
    token = get(client, "/tasks").csrf_token()
    page = post(
        client, "/admin/reference/category", {"code": "leak", "name": "x", "department_code": "repair"}, token
    )
    assert page.status == 403
    assert _category(sessions, "leak").name == "漏水"  # type: ignore[union-attr]


def test_the_page_shows_routing_from_the_table_and_the_liaison_follows_the_table_c1(
    client: FlaskClient, sessions: sessionmaker[Session], clock: SettableClock, deploy_process: Any
) -> None:
    """C1, R3: routing lives in the routing table. The page shows each category's department and
    minutes as the table's newest version gives them, read-only, with a link to edit the table; saving
    a category changes its names, not its route; a new table version moves the page and the liaison
    form's suggested department."""
    login(client, "admin")
    page = get(client, "/admin/reference")
    assert page.has("category-leak") and page.has("department-repair")
    assert page.by_id("routed-department-leak").text_content().strip() == "维修"
    assert page.by_id("routed-minutes-leak").text_content().strip() == "30"
    assert page.by_id("edit-routing").get("href") == "/decisions/routing"
    assert page.by_id("category-leak").xpath(".//*[@name='department_code' or @name='onsite_minutes']") == []
    page = submit(
        client,
        "/admin/reference",
        {"code": "leak", "name": "漏水", "name_en": "Leaking pipe", "domain": "water", "active": "on"},
        post_url="/admin/reference/category",
        follow=True,
    )
    assert page.status == 200 and page.flashes() == ["类别 leak 已保存，新工单即刻生效。"]
    leak = _category(sessions, "leak")
    assert (leak.name_en, leak.department_code, leak.onsite_minutes) == ("Leaking pipe", "repair", 30)  # type: ignore[union-attr]
    with sessions.begin() as session:
        deploy_decision(session, clock, rerouted("leak", "operations", 20), "routing.dmn", "admin")
    page = get(client, "/admin/reference")
    assert page.by_id("routed-department-leak").text_content().strip() == "生产运行"
    assert page.by_id("routed-minutes-leak").text_content().strip() == "20"
    deploy_process("liaison")
    switch_user(client, "liaison")
    routes = get(client, "/cases/new/liaison").by_id("f-department").get("data-routes")
    assert '"leak": "operations"' in routes


def test_a_bad_value_is_refused_and_what_was_typed_stays(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    page = submit(
        client,
        "/admin/reference",
        {
            "code": "leak",
            "name": "",
            "name_en": "Leak (changed)",
            "domain": "water",
            "parent_code": "nowhere",
        },
        post_url="/admin/reference/category",
    )
    assert page.status == 400
    assert page.error("name") is not None and page.error("parent_code") is not None
    row = page.by_id("category-leak")
    assert row.xpath(".//input[@name='name_en']/@value") == ["Leak (changed)"]
    assert _category(sessions, "leak").name_en == "Leak"  # type: ignore[union-attr]


def test_a_new_category_can_be_added_and_retired(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "admin")
    data = {
        "new": "1",
        "code": "radiator_noise",
        "name": "暖气异响",
        "name_en": "Radiator noise",
        "domain": "heating",
        "active": "on",
    }
    assert submit(client, "/admin/reference", data, post_url="/admin/reference/category").status == 302
    # Routed by the routing table's last row, which names no department: kept as customer service.
    assert _category(sessions, "radiator_noise").department_code == "customer_service"  # type: ignore[union-attr]
    page = get(client, "/admin/reference")
    assert page.by_id("routed-department-radiator_noise").text_content().strip() == "-"
    assert page.by_id("routed-minutes-radiator_noise").text_content().strip() == "1440"
    again = submit(client, "/admin/reference", data, post_url="/admin/reference/category")
    assert again.status == 400 and again.error("code") == "该代码已被使用。"
    switch_user(client, "operator")
    options = get(client, "/cases/new/complaint").by_id("f-category").xpath(".//option/@value")
    assert "radiator_noise" in options
    switch_user(client, "admin")
    retire = {**data, "new": "", "active": ""}
    assert submit(client, "/admin/reference", retire, post_url="/admin/reference/category").status == 302
    switch_user(client, "operator")
    options = get(client, "/cases/new/complaint").by_id("f-category").xpath(".//option/@value")
    assert "radiator_noise" not in options
