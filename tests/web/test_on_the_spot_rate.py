"""The KPI page's on-the-spot rate (直办率, Q1, M4): THE WEEK with the consultations of
tests/report_fixtures.add_consultations_of_the_week, figures computed by hand there, its definition in
both languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.report_fixtures import World, add_consultations_of_the_week, build_week, make_world
from tests.web.support import get, login, submit

WEEK = "/kpi?from=2026-11-23&to=2026-11-29"


@pytest.fixture
def world(
    app: object,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return add_consultations_of_the_week(build_week(make_world(sessions, runtime, clock, deploy_process)))


def test_the_kpi_page_shows_the_on_the_spot_rate_q1_m4(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    page = get(client, WEEK)
    rows = {
        row.get("data-row"): {
            cell.get("data-col"): " ".join(cell.text_content().split()) for cell in row.xpath("td[@data-col]")
        }
        for row in page.doc.xpath("//table[@id='on-the-spot-table']/tbody/tr")
    }
    assert rows == {
        "billing": {"received": "4", "on_the_spot": "75.0% 3/4", "from_entry": "25.0% 1/4"},
        "total": {"received": "4", "on_the_spot": "75.0% 3/4", "from_entry": "25.0% 1/4"},
    }
    assert "当场答复" in page.text("definition-on-the-spot")
    filtered = get(client, WEEK + "&department=repair")
    assert (
        filtered.doc.xpath(
            "//table[@id='on-the-spot-table']//tr[@data-row='total']/td[@data-col='received']"
        )[0].text
        == "0"
    )
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    assert "answered on the spot" in get(client, WEEK).text("definition-on-the-spot")
