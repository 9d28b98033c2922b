"""The liaison assessment page (M9, 000 §6): THE LIAISONS' WEEK of tests/report_fixtures.py seen in the
month period 2026-11 (26 October to 25 November, which holds every form and every deadline of it): the
figures computed by hand there, their definitions in both languages, the cases behind a figure, the
downloads, and who may see it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.report_fixtures import World, build_liaison_week, make_world
from tests.web.support import get, login, submit

MONTH = "/assessment/liaisons?month=2026-11"


@pytest.fixture
def world(
    app: object,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    deploy_process("liaison")
    return build_liaison_week(make_world(sessions, runtime, clock, deploy_process))


def test_the_liaisons_month_with_definitions_m9(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    assert get(client, "/assessment/departments?month=2026-11").has("link-liaisons")
    page = get(client, MONTH)
    assert page.status == 200
    rows = {
        row.get("data-row"): {
            cell.get("data-col"): " ".join(cell.text_content().split()) for cell in row.xpath("td[@data-col]")
        }
        for row in page.doc.xpath("//table[@id='liaison-table']/tbody/tr")
    }
    assert rows == {
        "liaison1": {
            "forms": "2",
            "feedback": "50.0% 1/2",
            "resolution": "50.0% 1/2",
            "satisfaction": "100.0% 1/1",
        },
        "liaison2": {"forms": "1", "feedback": "0.0% 0/1", "resolution": "0.0% 0/1", "satisfaction": "— 0/0"},
    }
    assert "书面报告" in page.text("definition-feedback")
    cases = get(client, "/assessment/liaisons/liaison1/feedback?month=2026-11")
    assert [(r.get("data-case"), r.get("data-counted")) for r in cases.doc.xpath("//tbody/tr")] == [
        (world.cases["L1"], "yes"),
        (world.cases["L2"], "no"),
    ]
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    assert "written report" in get(client, MONTH).text("definition-feedback")
    assert (
        "Hand in the written report"
        in get(client, "/assessment/liaisons/liaison1/feedback?month=2026-11").html
    )
    response = client.get("/assessment/liaisons.csv?month=2026-11")
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["liaison2", "liaison2", "", "1", "1", "0.0%", "0", "1", "0.0%", "0", "1", "—", "0", "0"] in lines
    assert client.get("/assessment/liaisons.xlsx?month=2026-11").status_code == 200
    assert client.get("/assessment/liaisons/liaison1/nonsense").status_code == 404


@pytest.mark.parametrize("username", ["operator", "liaison"])
def test_only_supervisors_see_the_liaisons_figures(client: FlaskClient, world: World, username: str) -> None:
    login(client, username)
    for url in (MONTH, "/assessment/liaisons/liaison1/forms", "/assessment/liaisons.csv"):
        assert client.get(url).status_code == 403, url
