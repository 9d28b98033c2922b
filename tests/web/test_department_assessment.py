"""The department assessment pages (红黑榜, issue 20 item 9): the ranked month with each figure's definition
in both languages, the cases behind a figure, the CSV and XLSX downloads, the weights administrators set,
and who may see them.

THE WEEK of tests/report_fixtures.py, seen in the month period 2026-11 (26 October to 25 November), which
holds its Monday to Wednesday and P (Sunday 22): every department step of the week and P's reply step
arrived and fell due in it; its chase is that of C's second reply step (found past its deadline when C
was handled again on Tuesday 10:00; no scheduler runs here, so P's and B's deadlines fire no chase);
replied in it: A (operations), C and D (repair), E (billing; F replied on Sunday 29, the next month).
By hand, with the default weights (15, 25, 30, 15, 10, 5; no send-back in any department):
operations: A on time, P neither acknowledged nor closed → 1/2 and 1/2, satisfaction 1/1, redo 0/1,
chases 0 of 2, send-backs 0 of 2 → (750 + 1250 + 3000 + 1500 + 1000 + 500) / 100 = 80.0; repair 3/5 acknowledged and closed
on time, satisfaction 1/3, redo 1/2, chases 1 of 5, send-backs 0 of 5 → (900 + 1500 + 1000 + 750 + 800 + 500)
/ 100 = 54.5;
billing 0/1, 0/1, no answers, redo 0/1, no chase, send-backs 0 of 1 → (0 + 0 + 1500 + 1000 + 500) / 70 = 42.9.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.report_fixtures import World, build_week, make_world
from tests.web.support import get, login, post, submit

MONTH = "/assessment/departments?month=2026-11"


@pytest.fixture
def world(
    app: object,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return build_week(make_world(sessions, runtime, clock, deploy_process))


def cells(page: object) -> dict[str, dict[str, str]]:
    rows = page.doc.xpath("//table[@id='assessment-table']/tbody/tr")  # type: ignore[attr-defined]
    return {
        row.get("data-row"): {
            cell.get("data-col"): " ".join(cell.text_content().split()) for cell in row.xpath("td[@data-col]")
        }
        for row in rows
    }


def test_the_ranked_month_with_definitions(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    assert get(client, "/reports").has("link-assessment")
    page = get(client, MONTH)
    assert page.status == 200
    found = cells(page)
    assert list(found) == ["operations", "repair", "billing"]
    assert found["operations"]["score"] == "80.0" and found["operations"]["rank"].startswith("1")
    assert found["operations"]["closing"] == "50.0% 1/2"
    assert found["repair"]["score"] == "54.5"
    assert found["repair"]["acknowledgement"] == "60.0% 3/5"
    assert found["repair"]["redo"] == "50.0% 1/2"
    assert found["repair"]["chases"] == "1 1/5"
    assert found["billing"]["score"] == "42.9"
    assert found["billing"]["satisfaction"] == "— 0/0"
    assert found["billing"]["send_backs"] == "0.0% 0/1"
    assert page.doc.xpath("//tr[@data-row='operations']//*[@data-list='red']")
    assert page.doc.xpath("//tr[@data-row='billing']//*[@data-list='black']")
    assert "签收" in page.text("definition-acknowledgement")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    english = get(client, MONTH)
    assert "acknowledged when someone of the department first claims it" in english.text(
        "definition-acknowledgement"
    )


def test_the_cases_behind_a_figure(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    page = get(client, "/assessment/departments/repair/redo?month=2026-11")
    assert page.status == 200
    rows = page.doc.xpath("//table[@id='figure-cases']/tbody/tr")
    assert [(r.get("data-case"), r.get("data-counted")) for r in rows] == [
        (world.cases["D"], "no"),
        (world.cases["C"], "yes"),
    ]
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    closing = get(client, "/assessment/departments/repair/closing?month=2026-11")
    assert "Investigate, handle and reply" in closing.html
    assert get(client, "/assessment/departments/repair/nonsense?month=2026-11").status == 404
    assert get(client, "/assessment/departments.csv?month=x").status == 400, "a link the page made"


def test_a_month_that_is_none_is_kept_and_said_beside_its_field(client: FlaskClient, world: World) -> None:
    """The month's page answers a month that is none with this month's table, the value as typed and what
    is wrong with it, in the page's language."""
    login(client, "supervisor")
    page = get(client, "/assessment/departments?month=2026-13")
    assert page.status == 200 and page.field_value("month") == "2026-13"
    assert page.error("month") == "“2026-13”不是月份。请按 YYYY-MM 格式输入月份。"
    assert page.by_id("f-month").get("aria-invalid") == "true"
    assert page.text("assessment-period") == get(client, "/assessment/departments").text("assessment-period")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    liaisons = get(client, "/assessment/liaisons?month=1999-05")
    assert liaisons.status == 200 and liaisons.field_value("month") == "1999-05"
    assert liaisons.error("month") == "“1999-05” is outside the years 2000 to 2100."
    assert get(client, MONTH).error("month") is None


def test_downloads(client: FlaskClient, world: World) -> None:
    login(client, "supervisor")
    response = client.get("/assessment/departments.csv?month=2026-11")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    ranked = [line for line in lines if line and line[0] in ("1", "2", "3")]
    assert [line[2] for line in ranked] == ["80.0", "54.5", "42.9"]
    workbook = load_workbook(io.BytesIO(client.get("/assessment/departments.xlsx?month=2026-11").data))
    assert len(workbook.sheetnames) == 3


def test_administrators_set_the_weights_and_the_ranking_follows(client: FlaskClient, world: World) -> None:
    login(client, "admin")
    token = get(client, "/assessment/weights").csrf_token()
    wrong = post(client, "/assessment/weights", {"acknowledgement": "90", "closing": "90"}, token)
    assert wrong.status == 400 and wrong.has("error-satisfaction")
    weights = {"acknowledgement": "100", "closing": "0", "satisfaction": "0", "redo": "0", "chases": "0"}
    too_much = post(client, "/assessment/weights", {**weights, "send_backs": "5"}, token)
    assert too_much.status == 400 and "105" in too_much.text("error-total")
    saved = post(client, "/assessment/weights", {**weights, "send_backs": "0"}, token)
    assert saved.status == 302
    found = cells(get(client, MONTH))
    assert {code: row["score"] for code, row in found.items()} == {
        "repair": "60.0",
        "operations": "50.0",
        "billing": "0.0",
    }
    assert list(found) == ["repair", "operations", "billing"]


@pytest.mark.parametrize("username", ["operator", "dispatcher", "ops_handler"])
def test_only_supervisors_see_it_and_only_administrators_set_weights(
    client: FlaskClient, world: World, username: str
) -> None:
    login(client, username)
    for url in (
        MONTH,
        "/assessment/departments/repair/redo",
        "/assessment/departments.csv",
        "/assessment/weights",
    ):
        assert client.get(url).status_code == 403, url
    login(client, "supervisor")
    assert client.get("/assessment/weights").status_code == 403
