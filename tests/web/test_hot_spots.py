"""The hot-spot page (热点分析, 冬病夏治, issue 20 item 10): THE WEEK with the outages of
tests/integration/supervision/test_hot_spots.py (figures by hand there), in both languages; a dispatcher's
one click from a building to its maintenance order (one per building and day); who may see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Customer, ProcessDefinition, ProcessInstance
from engine.runtime import Runtime
from tests.helpers import open_tasks
from tests.integration.supervision.test_hot_spots import add_outages
from tests.report_fixtures import World, build_week, make_world
from tests.web.support import Page, get, login, post, submit

WEEK = "/hotspots?from=2026-11-23&to=2026-11-29"
UP_TO_TODAY = "/hotspots?from=2026-11-23&to=2026-11-30"


@pytest.fixture
def world(
    app: object,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    world = build_week(make_world(sessions, runtime, clock, deploy_process))
    add_outages(world)
    return world


def rows(page: object) -> dict[str, dict[str, str]]:
    return {
        row.get("data-row"): {
            cell.get("data-col"): " ".join(cell.text_content().split()) for cell in row.xpath("td[@data-col]")
        }
        for row in page.doc.xpath("//table[@id='hot-buildings']/tbody/tr")  # type: ignore[attr-defined]
    }


def test_supervisors_see_the_buildings_with_area_figures_and_outages(
    client: FlaskClient, world: World
) -> None:
    login(client, "supervisor")
    page = get(client, WEEK)
    assert page.status == 200 and page.has("nav-hot-spots")
    found = rows(page)
    assert list(found) == ["金明区|3号楼", "金明区|5号楼"]
    three = found["金明区|3号楼"]
    assert (three["cases"], three["complaints"], three["area"], three["per_area"]) == (
        "4",
        "3",
        "240",
        "125.00",
    )
    assert three["outages"] == "期间有停供"
    assert found["金明区|5号楼"]["outages"] == "正在停供"
    assert found["金明区|5号楼"]["categories"] == "收费 2"
    assert not page.doc.xpath("//button[@data-order]")  # a supervisor fills in no repair intake
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    english = rows(get(client, WEEK))
    assert english["金明区|5号楼"]["outages"] == "Outage now"
    assert get(client, "/hotspots?from=2026-11-30&to=2026-11-01").flashes()


def test_a_value_that_is_no_day_is_kept_and_said_beside_its_field_in_both_languages(
    client: FlaskClient, world: World
) -> None:
    """A bound that is no day shows the page, the value as typed and what is wrong with it; that bound is
    this month's (from the 26th), the other one stays as asked; other parameters are no filters here."""
    login(client, "supervisor")
    page = get(client, "/hotspots?from=nonsense&to=2026-11-29&group=nobody")
    assert page.status == 200 and not page.flashes()
    assert page.field_value("from") == "nonsense" and page.by_id("f-from").get("aria-invalid") == "true"
    assert page.error("from") == "“nonsense”不是日期。请按 YYYY-MM-DD 格式输入日期。"
    assert page.field_value("to") == "2026-11-29" and page.error("to") is None
    since_the_26th = get(client, "/hotspots?from=2026-11-26&to=2026-11-29")
    assert page.text("hot-spots-total") == since_the_26th.text("hot-spots-total")
    assert rows(page) == rows(since_the_26th) != rows(get(client, WEEK))

    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    page = get(client, "/hotspots?from=2026-11-23&to=2026-02-30")
    assert page.status == 200
    assert page.error("to") == "“2026-02-30” is not a date. Enter a date as YYYY-MM-DD."
    assert (page.field_value("from"), page.error("from")) == ("2026-11-23", None)
    far = get(client, f"/hotspots?from=0001-01-01&to={'9' * 100}")
    assert far.error("from") == "“0001-01-01” is outside the years 1900 to 2200."
    assert (
        far.field_value("to") == "9" * 40
        and far.error("to") == f"“{'9' * 40}” is not a date. Enter a date as YYYY-MM-DD."
    )
    assert far.doc.xpath("//input[@aria-invalid='true']/@id") == ["f-from", "f-to"]


def order_form(page: Page, building: str) -> dict[str, str]:
    form = page.doc.xpath(f"//button[@data-order='{building}']/ancestor::form")[0]
    assert form.get("action") == "/hotspots/maintenance" and form.get("method") == "post"
    return {i.get("name"): i.get("value") for i in form.xpath(".//input")}


def maintenance_cases(sessions: sessionmaker[Session]) -> list[ProcessInstance]:
    with sessions() as session:
        return [
            case
            for case in session.scalars(
                select(ProcessInstance).where(ProcessInstance.process_key == "repair")
            )
            if (case.data or {}).get("case_source") == "hot_spot"
        ]


def test_a_dispatcher_opens_a_maintenance_order_for_a_building_in_one_click(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """One POST (CSRF) opens a repair case for the building, routed as a maintenance order, with the hot
    spot's figures in its description; the page then shows its number with a link instead of the button.
    A second click the same day (a double click, a colleague) opens no second order but names the first."""
    login(client, "dispatcher")
    page = get(client, WEEK)
    values = order_form(page, "金明区|3号楼")
    assert (values["district"], values["building"], values["from"], values["to"]) == (
        "金明区",
        "3号楼",
        "2026-11-23",
        "2026-11-29",
    )
    token = values.pop("csrf_token")
    before = get(client, UP_TO_TODAY)
    calls_up_to_today = before.text("hot-spots-total")
    facility_calls = before.doc.xpath(
        "//section[@id='hot-categories']//tr[@data-row='facility']/td[2]/text()"
    )
    assert client.post("/hotspots/maintenance", data=values).status_code == 400  # no CSRF token: refused
    assert maintenance_cases(sessions) == []

    opened = post(client, "/hotspots/maintenance", values, token)
    assert opened.status == 302 and opened.response.headers["Location"] == WEEK
    (case,) = maintenance_cases(sessions)
    data = case.data or {}
    assert (case.address, case.category, case.department, case.customer_phone) == (
        "金明区3号楼",
        "facility",
        "repair",
        None,
    )
    description = data["description"]
    assert "冬病夏治" in description and "金明区3号楼" in description
    assert "共来电 4 次" in description and "投诉 3 次" in description and "125.00" in description
    with sessions() as session:
        assert [(t.element_id, t.candidate_groups) for t in open_tasks(session, case.id)] == [
            ("dispatch", "dispatcher")
        ]

    shown = get(client, WEEK)
    assert shown.flashes() == [f"已为 金明区3号楼 开出维修工单 {case.case_number}。"]
    # the order is no call: it counts nowhere on the page, in a period holding today either
    assert get(client, UP_TO_TODAY).text("hot-spots-total") == calls_up_to_today
    assert (
        get(client, UP_TO_TODAY).doc.xpath(
            "//section[@id='hot-categories']//tr[@data-row='facility']/td[2]/text()"
        )
        == facility_calls
    )
    (link,) = shown.doc.xpath("//tr[@data-row='金明区|3号楼']//a[@data-order-case]")
    assert link.get("href") == f"/cases/{case.case_number}" and case.case_number in link.text_content()
    assert not shown.doc.xpath("//button[@data-order='金明区|3号楼']")
    assert shown.doc.xpath("//button[@data-order='金明区|5号楼']")  # the other building still has its button

    # the same form sent again (a double click, a second tab): the first order, no second one
    again = post(client, "/hotspots/maintenance", values, token)
    assert again.status == 302
    assert [c.case_number for c in maintenance_cases(sessions)] == [case.case_number]
    assert get(client, WEEK).flashes() == [f"金明区3号楼 今天已有维修工单 {case.case_number}，未重复开单。"]

    # in English too; a building that is no hot spot of the period opens nothing
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    five = order_form(get(client, WEEK), "金明区|5号楼")
    five.pop("csrf_token")
    assert post(client, "/hotspots/maintenance", five, token).status == 302
    (flash,) = get(client, WEEK).flashes()
    assert flash.startswith("Maintenance order BX-") and flash.endswith("opened for 金明区5号楼.")
    nowhere = post(client, "/hotspots/maintenance", {**five, "building": "9号楼"}, token)
    assert nowhere.status == 302
    assert get(client, WEEK).flashes() == [
        "金明区9号楼 is not among the hot spots of this period; no order was opened."
    ]
    assert len(maintenance_cases(sessions)) == 2


def test_a_supervisor_sees_the_hot_spots_but_opens_no_order(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    token = get(client, WEEK).csrf_token()
    refused = post(
        client,
        "/hotspots/maintenance",
        {"district": "金明区", "building": "3号楼", "from": "2026-11-23", "to": "2026-11-29"},
        token,
    )
    assert refused.status == 403


@pytest.mark.parametrize("username", ["operator", "ops_handler", "liaison"])
def test_others_may_not_see_it(client: FlaskClient, world: World, username: str) -> None:
    login(client, username)
    assert client.get(WEEK).status_code == 403


def test_callers_registered_without_a_building_make_no_blank_building_row(
    client: FlaskClient, world: World, sessions: sessionmaker[Session]
) -> None:
    """A caller registered from a case has the address as one text and no district or building: their
    calls count with those not in the register, never as a building without a name whose button would
    open a maintenance order for nowhere."""
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.phone == "13900000004").values(district="", building="")
        )
    login(client, "dispatcher")
    page = get(client, WEEK)
    assert list(rows(page)) == ["金明区|3号楼"]
    assert not page.doc.xpath("//button[@data-order='|']")
    districts = {
        row.get("data-row"): row.xpath("td[2]/text()")[0]
        for row in page.doc.xpath("//section[@id='hot-districts']//tr")
    }
    assert districts == {"金明区": "4", "": "2"}
    assert "不在客户档案中" in page.text("hot-districts")
    blank = {"district": "", "building": "", "from": "2026-11-23", "to": "2026-11-29"}
    assert post(client, "/hotspots/maintenance", blank, page.csrf_token()).status == 302
    assert maintenance_cases(sessions) == []
    assert get(client, WEEK).flashes() == ["不在本期热点楼栋中，未开维修工单。"]
