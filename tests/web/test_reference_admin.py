"""Reference data kept by an administrator: categories route new cases and set on-site deadlines."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Category
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


def test_an_administrator_reroutes_a_category_and_the_intake_follows_c1(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """C1: the category's department is the one the intake suggests; R3 minutes are kept with it."""
    login(client, "admin")
    page = get(client, "/admin/reference")
    assert page.has("category-leak") and page.has("department-repair")
    page = submit(
        client,
        "/admin/reference",
        {
            "code": "leak",
            "name": "漏水",
            "name_en": "Leak",
            "domain": "water",
            "department_code": "operations",
            "onsite_minutes": "20",
            "active": "on",
        },
        post_url="/admin/reference/category",
        follow=True,
    )
    assert page.status == 200 and page.flashes() == ["类别 leak 已保存，新工单即刻生效。"]
    leak = _category(sessions, "leak")
    assert (leak.department_code, leak.onsite_minutes, leak.active) == ("operations", 20, True)  # type: ignore[union-attr]
    # The liaison's form suggests the department from the reference data; complaints and repairs are
    # routed by the decision table routing (tests/integration/processes/test_decisions.py).
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
            "name": "漏水(改)",
            "domain": "water",
            "department_code": "repair",
            "onsite_minutes": "soon",
        },
        post_url="/admin/reference/category",
    )
    assert page.status == 400
    assert page.error("onsite_minutes") is not None
    row = page.by_id("category-leak")
    assert row.xpath(".//input[@name='name']/@value") == ["漏水(改)"]
    assert row.xpath(".//input[@name='onsite_minutes']/@value") == ["soon"]
    assert _category(sessions, "leak").onsite_minutes == 30  # type: ignore[union-attr]


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
        "department_code": "technical",
        "onsite_minutes": "480",
        "active": "on",
    }
    assert submit(client, "/admin/reference", data, post_url="/admin/reference/category").status == 302
    assert _category(sessions, "radiator_noise").department_code == "technical"  # type: ignore[union-attr]
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
