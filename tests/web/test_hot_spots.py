"""The hot-spot page (热点分析, 冬病夏治, issue 20 item 10): THE WEEK with the outages of
tests/integration/supervision/test_hot_spots.py (figures by hand there), in both languages; a dispatcher's
one click from a building to the repair intake with the building filled in; who may see it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.integration.supervision.test_hot_spots import add_outages
from tests.report_fixtures import World, build_week, make_world
from tests.web.support import get, login, post, submit

WEEK = "/hotspots?from=2026-11-23&to=2026-11-29"


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
    assert client.get("/hotspots?from=nonsense").status_code == 400


def test_a_dispatcher_opens_a_maintenance_order_for_a_building_in_one_click(
    client: FlaskClient, world: World
) -> None:
    login(client, "dispatcher")
    page = get(client, WEEK)
    form = page.doc.xpath("//button[@data-order='金明区|3号楼']/ancestor::form")[0]
    values = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    intake = post(
        client,
        form.get("action"),
        {k: v for k, v in values.items() if k != "csrf_token"},
        values["csrf_token"],
    )
    assert intake.status == 200
    assert intake.field_value("address") == "金明区3号楼"
    assert "4" in intake.field_value("description") and "冬病夏治" in intake.field_value("description")


@pytest.mark.parametrize("username", ["operator", "ops_handler", "liaison"])
def test_others_may_not_see_it(client: FlaskClient, world: World, username: str) -> None:
    login(client, username)
    assert client.get(WEEK).status_code == 403
