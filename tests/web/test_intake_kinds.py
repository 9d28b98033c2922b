"""Intake in one step: the operator chooses the kind of call (complaint, repair, consultation) on the
intake page itself; switching keeps what was typed; the procedures' own intake addresses still work."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import ProcessInstance
from tests.helpers import intake_form
from tests.web.support import get, login, post, submit

TYPED = {
    "customer_name": "刘洋",
    "customer_phone": "13900000001",
    "address": "金明区3号楼1单元101",
    "description": "厨房水管接头漏水,地面有积水。",
    "category": "leak",
    "urgent": True,
}


def test_the_operator_switches_the_kind_of_call_without_losing_what_was_typed(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """M5, R1: a call taken as a complaint turns out to be a repair; one click shows the repair intake with
    the caller, address, fault and category already filled; recording it opens a repair case."""
    for key in ("repair", "consultation"):
        deploy_process(key)
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    assert page.by_id("kind-complaint").get("aria-current") == "true"
    assert [b.get("formaction") for b in page.by_id("kinds").xpath(".//button")] == [
        "/cases/new/consultation/switch",
        "/cases/new/repair/switch",
    ]
    assert page.by_id("intake-form").get("action") == "/cases/new/complaint"

    switched = post(client, "/cases/new/repair/switch", TYPED, page.csrf_token())
    assert switched.status == 200
    assert (
        switched.text("kinds").startswith("来电类型")
        and switched.by_id("kind-repair").get("aria-current") == "true"
    )
    assert switched.by_id("intake-form").get("action") == "/cases/new/repair"
    assert {
        f: switched.field_value(f)
        for f in ("customer_name", "customer_phone", "address", "description", "category", "urgent")
    } == {**TYPED, "urgent": True}
    assert switched.doc.xpath("//h1/text()") == ["登记报修"]

    recorded = post(client, "/cases/new/repair", {**TYPED, "department": ""}, switched.csrf_token())
    assert recorded.status == 302 and recorded.response.headers["Location"].startswith("/cases/BX-")
    with sessions() as session:
        (case,) = session.scalars(select(ProcessInstance)).all()
        assert (case.process_key, case.customer_phone, case.category) == ("repair", "13900000001", "leak")

    # to a consultation: what the caller said becomes the question; fields it does not have are left out
    consultation = post(client, "/cases/new/consultation/switch", TYPED, page.csrf_token())
    assert (consultation.field_value("question"), consultation.field_value("customer_name")) == (
        TYPED["description"],
        "刘洋",
    )
    assert not consultation.has("f-address")


def test_the_kind_chooser_keeps_the_roles_and_the_old_addresses(
    client: FlaskClient, deploy_process: Any
) -> None:
    """Only procedures the user's roles may open are offered or switched to; /cases/new/<key> still works
    and the form stays in English when the page is."""
    for key in ("repair", "liaison"):
        deploy_process(key)
    login(client, "liaison")
    page = get(client, "/cases/new/liaison")
    assert page.status == 200 and not page.has("kinds")
    assert (
        submit(client, "/cases/new/liaison", intake_form(), post_url="/cases/new/complaint/switch").status
        == 403
    )
    login(client, "dispatcher")
    repair = get(client, "/cases/new/repair")
    assert repair.status == 200 and not repair.has(
        "kinds"
    )  # of the three kinds a dispatcher opens repairs only
    assert post(client, "/cases/new/repair/switch", TYPED, None).status == 400  # no CSRF token, no page


def test_switching_in_english(client: FlaskClient, deploy_process: Any) -> None:
    deploy_process("repair")
    login(client, "operator")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    page = post(client, "/cases/new/repair/switch", TYPED, get(client, "/cases/new/complaint").csrf_token())
    assert page.lang == "en" and page.text("kinds").startswith("Kind of call")
    assert page.by_id("kind-complaint").text_content().strip() == "Complaint"
