"""Small things a user notices: required inputs say so to the browser, the signature pad is not called
optional beside a required "the customer signed", and the KPI charts are drawn at a readable size."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.runtime import Runtime
from tests.web.support import get, login, record_case, task_of
from tests.web.test_field import arrived_repair


def test_required_text_and_number_inputs_carry_the_required_attribute(client: FlaskClient) -> None:
    """The browser (and a screen reader) learns which inputs must be filled, as the red star says."""
    login(client, "operator")
    page = get(client, "/cases/new/complaint")
    required = {
        element.get("id")[2:]
        for element in page.doc.xpath(
            "//form[@id='intake-form']//*[self::input or self::textarea][@required]"
        )
    }
    assert {"customer_name", "customer_phone", "address", "description"} <= required
    starred = {
        label.get("for")[2:]
        for label in page.doc.xpath("//form[@id='intake-form']//label[@for][span[@class='req']]")
    }
    typed = {
        element.get("id")[2:]
        for element in page.doc.xpath(
            "//form[@id='intake-form']//*[self::input[@type!='checkbox'] or self::textarea]"
        )
        if element.get("id", "").startswith("f-")
    }
    assert required == starred & typed
    assert "occurred_at" in typed and "occurred_at" not in required  # an optional date stays optional


def test_the_signature_pad_is_not_called_optional_beside_a_required_signed_box_r4(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, deploy_process: Any
) -> None:
    """R4: the customer signs to confirm the result (required); the pad is where they sign on the screen,
    left empty after a signature on the paper job card — the page no longer says "optional"."""
    deploy_process("repair")
    _number, _case_id, task_id = arrived_repair(client, sessions, runtime)
    page = get(client, f"/tasks/{task_id}")
    assert page.by_id("f-customer_signed") is not None and page.text("label-customer_signature")
    hint = page.text("hint-customer_signature")
    assert "可选" not in hint and "纸质工单" in hint
    assert "可选" not in " ".join(page.doc.xpath("//form[@id='task-form']//text()"))


def test_the_kpi_charts_are_drawn_at_their_own_size_not_shrunk_to_tiny_text_m4(client: FlaskClient) -> None:
    """M4: a chart's picture is as wide as its drawing (the browser only scales it down on a narrow
    screen), and its text is 14 units: about 14 px on a desktop instead of 6 px."""
    login(client, "supervisor")
    page = get(client, "/kpi")
    charts = page.doc.xpath("//svg[contains(@class, 'chart')]")
    assert len(charts) == 4
    for chart in charts:
        _x, _y, width, _height = chart.get("viewbox", chart.get("viewBox")).split()
        assert chart.get("width") == width and int(width) <= 460
    response = client.get("/static/hotline.css")
    css = response.get_data(as_text=True)
    response.close()
    rule = re.search(r"svg\.chart \{([^}]*)\}", css)
    assert rule and "font-size:14px" in rule.group(1).replace(" ", "")


def test_a_task_page_shows_its_deadline_in_red_only_once_it_has_passed(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    """The due line of a task page is a plain time before the deadline and red, marked overdue, after it."""
    _number, case_id = record_case(sessions, runtime)
    task_id = task_of(sessions, case_id, "department_handling")
    login(client, "ops_handler")
    before = get(client, f"/tasks/{task_id}").by_id("task-due")
    assert before.get("class") == "due-at" and not before.xpath(".//span[contains(@class, 'badge')]")
    clock.advance(timedelta(days=2))
    after = get(client, f"/tasks/{task_id}").by_id("task-due")
    assert after.get("class") == "due" and after.xpath(".//span[contains(@class, 'badge')]")
