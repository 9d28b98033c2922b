"""Where cases come from (issue 19, U1, M10): an administrator keeps the list of case sources; the intake
records the source, a forwarded case's platform number and deadline; the case page, the case search and
the tasklist show them."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import AdminAudit, CaseSource, ProcessInstance
from tests.helpers import intake_form
from tests.web.support import get, login, post, submit, switch_user

PLATFORM_DEADLINE = "2026-11-23T18:00"


def _source(sessions: sessionmaker[Session], code: str) -> CaseSource | None:
    with sessions() as session:
        return session.get(CaseSource, code)


def test_an_administrator_adds_renames_and_retires_a_case_source_m10(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """M10, U1: a new platform that forwards cases, replied upstream; retired, intake no longer offers it."""
    login(client, "operator")
    token = get(client, "/tasks").csrf_token()
    assert (
        post(client, "/admin/reference/source", {"code": "hotline_96345", "name": "x"}, token).status == 403
    )
    switch_user(client, "admin")
    page = submit(
        client,
        "/admin/reference",
        {"code": "water_bureau", "name": "水务局转办", "name_en": "Water bureau", "upstream": True},
        post_url="/admin/reference/source",
        follow=True,
    )
    assert page.status == 200 and page.has("source-water_bureau")
    added = _source(sessions, "water_bureau")
    assert added is not None and (added.upstream, added.active) == (True, True)
    refused = submit(
        client, "/admin/reference", {"code": "Bad Code", "name": ""}, post_url="/admin/reference/source"
    )
    assert refused.status == 400 and refused.has("err-code") and refused.has("err-name")

    switch_user(client, "operator")
    intake = get(client, "/cases/new/complaint")
    options = intake.by_id("f-case_source").xpath(".//option")
    upstream = {o.get("value") for o in options if o.get("data-upstream") == "true"}
    assert {"mayor_12345", "sasac_platform", "digital_city", "water_bureau"} <= upstream
    assert "hotline" not in upstream and intake.field_value("case_source") == "hotline"
    assert {d.get("data-upstream-of") for d in intake.doc.xpath("//div[@data-upstream-of]")} == {
        "f-case_source"
    }

    switch_user(client, "admin")
    page = submit(
        client,
        "/admin/reference",
        {"name": "水务局转办函", "name_en": "Water bureau letter", "upstream": True, "active": True},
        post_url="/admin/reference/source/water_bureau",
        follow=True,
    )
    assert page.status == 200
    submit(
        client, "/admin/reference", {"name": "水务局转办函"}, post_url="/admin/reference/source/water_bureau"
    )
    retired = _source(sessions, "water_bureau")
    assert retired is not None and (retired.name, retired.upstream, retired.active) == (
        "水务局转办函",
        False,
        False,
    )
    with sessions() as session:
        actions = list(
            session.scalars(
                select(AdminAudit.action).where(AdminAudit.subject == "water_bureau").order_by(AdminAudit.id)
            )
        )
    assert actions == ["case_source_added", "case_source_changed", "case_source_retired"]
    switch_user(client, "operator")
    values = {
        o.get("value") for o in get(client, "/cases/new/complaint").by_id("f-case_source").xpath(".//option")
    }
    assert "water_bureau" not in values


def test_a_forwarded_case_shows_its_source_and_both_deadlines_u1(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """U1: recorded from the intake page with the platform's number and deadline; the case page shows the
    platform's deadline and our own, the search and the tasklist find the case by its source."""
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    form = {
        **intake_form(),
        "case_source": "mayor_12345",
        "upstream_reference": "YC-0042",
        "upstream_deadline": PLATFORM_DEADLINE,
        "intake_key": page.by_id("intake-key").get("value"),
    }
    recorded = post(client, "/cases/new/complaint", form, page.csrf_token())
    assert recorded.status == 302
    number = recorded.response.headers["Location"].rsplit("/", 1)[1]
    with sessions() as session:
        case = session.scalars(select(ProcessInstance).where(ProcessInstance.case_number == number)).one()
        assert (case.source, case.upstream_reference) == ("mayor_12345", "YC-0042")

    switch_user(client, "supervisor")
    shown = get(client, f"/cases/{number}")
    assert shown.text("source-name") == "12345市长专线" and shown.text("upstream-reference") == "YC-0042"
    assert shown.text("upstream-deadline") == "2026-11-23 18:00"
    assert shown.text("own-deadline") == "2026-11-23 23:59"
    found = get(client, "/cases?source=mayor_12345")
    assert [r.get("data-case") for r in found.doc.xpath("//tr[@data-case]")] == [number]
    assert get(client, "/cases?source=walk_in").has("no-cases")

    switch_user(client, "ops_handler")
    tasks = get(client, "/tasks?source=mayor_12345")
    (badge,) = tasks.doc.xpath("//table[@id='tasklist']//span[@data-source]")
    assert badge.get("data-source") == "mayor_12345" and "blue" in badge.get("class")
    assert get(client, "/tasks?source=media").has("no-tasks")


def test_an_english_page_names_the_source_in_english(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    form = {
        **intake_form(),
        "case_source": "digital_city",
        "intake_key": page.by_id("intake-key").get("value"),
    }
    number = (
        post(client, "/cases/new/complaint", form, page.csrf_token())
        .response.headers["Location"]
        .rsplit("/", 1)[1]
    )
    switch_user(client, "supervisor")
    token = get(client, f"/cases/{number}").csrf_token()
    post(client, "/lang/en", {"next": f"/cases/{number}"}, token)
    shown = get(client, f"/cases/{number}")
    assert shown.text("source-name") == "Digital city management"
    assert not shown.has("upstream-deadline")
