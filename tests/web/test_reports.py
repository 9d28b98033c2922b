"""The supervisors' pages: KPIs with charts and definitions (M4), the reports list, a weekly (M2) and a
monthly (M3) report with their CSV and XLSX downloads (read back and compared with the hand-computed
figures of tests/report_fixtures.py), the notable cases, and who may see them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import datetime

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition, ProcessInstance, Report
from engine.runtime import Runtime
from hotline.scheduling import run_supervision_duties
from tests.report_fixtures import SHANGHAI, World, build_week, build_year_end_month, make_world
from tests.web.support import get, login, post, submit, switch_user


@pytest.fixture
def world(
    app: object,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return make_world(sessions, runtime, clock, deploy_process)


def report_id(sessions: sessionmaker[Session], kind: str, period_start: str) -> int:
    with sessions() as session:
        return session.scalar(
            select(Report.id).where(Report.kind == kind, Report.period_start == period_start)
        )


@pytest.mark.parametrize("username", ["operator", "dispatcher", "ops_handler", "owner"])
def test_only_supervisors_see_figures_and_reports(client: FlaskClient, world: World, username: str) -> None:
    build_week(world)
    run_supervision_duties(world.runtime, world.sessions)
    weekly = report_id(world.sessions, "weekly", "2026-11-23")
    login(client, username)
    assert not get(client, "/tasks").has("nav-reports")
    for url in (
        "/kpi",
        "/reports",
        f"/reports/{weekly}",
        f"/reports/{weekly}.csv",
        f"/reports/{weekly}.xlsx",
    ):
        assert client.get(url).status_code == 403, url
    token = get(client, "/tasks").csrf_token()
    assert post(client, f"/reports/{weekly}/notable", {"case_number": "x"}, token).status == 403


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient, world: World) -> None:
    for url in ("/kpi", "/reports", "/reports/1", "/reports/1.csv"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_kpi_page_shows_the_hand_computed_figures_with_charts_and_definitions_m4(
    client: FlaskClient, world: World
) -> None:
    build_week(world)
    login(client, "supervisor")
    assert get(client, "/tasks").has("nav-reports")
    page = get(client, "/kpi?from=2026-11-23&to=2026-11-29")
    assert page.status == 200
    rows = {
        row.get("data-row"): {
            cell.get("data-col"): " ".join(cell.text_content().split())
            for cell in row.xpath("./td[@data-col]")
        }
        for row in page.doc.xpath("//table[@id='kpi-table']/tbody/tr")
    }
    assert list(rows) == ["operations", "repair", "billing", "total"]
    assert rows["total"] == {
        "received": "6",
        "replied": "5",
        "closed": "4",
        "satisfaction": "50.0% 2/4",
        "timeliness": "76.9% 10/13",
        "resolution": "66.7% 4/6",
        "complaint_handling": "66.7% 2/3",
    }
    assert rows["repair"]["timeliness"] == "80.0% 8/10" and rows["billing"]["satisfaction"] == "— 0/0"
    for name in ("satisfaction", "timeliness", "resolution", "complaint_handling"):
        chart = page.by_id(f"chart-{name}")
        assert chart is not None and chart.tag == "svg"
        assert page.text(f"definition-{name}")
    bars = page.doc.xpath("//*[@id='chart-satisfaction']//*[@class='chart-bar']/@data-value")
    assert bars == ["1.0000", "0.3333", "0.5000"]  # operations, repair (billing has none), total
    assert "7天，其中工作日5天" in page.text("kpi-period")

    by_category = get(client, "/kpi?from=2026-11-23&to=2026-11-29&group=category&department=repair")
    assert [r.get("data-row") for r in by_category.doc.xpath("//table[@id='kpi-table']/tbody/tr")] == [
        "facility",
        "leak",
        "total",
    ]
    refused_day = get(client, "/kpi?from=2026-11-23&to=bad")
    assert refused_day.status == 200 and refused_day.field_value("to") == "bad" and refused_day.error("to")
    assert client.get("/kpi?department=nowhere").status_code == 400
    assert get(client, "/kpi").status == 200  # the current 26th-to-25th period by default


def test_weekly_report_page_and_downloads_m2(client: FlaskClient, world: World) -> None:
    build_week(world)
    run_supervision_duties(world.runtime, world.sessions)
    weekly = report_id(world.sessions, "weekly", "2026-11-23")
    login(client, "supervisor")
    listing = get(client, "/reports")
    assert listing.has(f"report-{weekly}") and listing.has("sample-list")
    assert "抽取可重现" in listing.text("sample-list")
    page = get(client, f"/reports/{weekly}")
    assert page.status == 200
    open_rows = page.doc.xpath("//*[@id='table-open_cases']//tbody/tr")
    assert [r.xpath("./td")[0].text_content().strip() for r in open_rows] == [
        world.cases["B"],
        world.cases["C"],
    ]
    assert "151.0" in open_rows[0].xpath("./td")[-1].text_content()

    response = client.get(f"/reports/{weekly}.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "hotline-weekly-2026-11-23_2026-11-29.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    departments = rows[rows.index(["# 各部门受理情况"]) + 2 :]
    assert departments[5] == ["合计", "6", "5", "4", "1", "2", "50.0%", "76.9%", "66.7%", "66.7%"]
    assert departments[4][:6] == ["收费", "3", "2", "2", "1", "1"]
    open_cases = rows[rows.index(["# 未答复或未办结工单"]) + 2 :]
    assert [row[4] for row in open_cases[:2]] == ["2026-11-23 09:05", "2026-11-23 09:10"]  # Beijing time
    summary = {row[0]: row[1] for row in rows[2:6] if len(row) == 2}
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", summary[label]) for label in ("统计截至", "生成时间")
    )

    response = client.get(f"/reports/{weekly}.xlsx")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook["各部门受理情况"]
    totals = [cell.value for cell in list(sheet.iter_rows())[-1]]
    assert totals[:7] == ["合计", 6, 5, 4, 1, 2, 0.5]
    open_sheet = [[c.value for c in row] for row in workbook["未答复或未办结工单"].iter_rows()]
    assert [row[0] for row in open_sheet[1:]] == [world.cases["B"], world.cases["C"]]
    assert [row[4] for row in open_sheet[1:]] == [datetime(2026, 11, 23, 9, 5), datetime(2026, 11, 23, 9, 10)]
    opened = workbook["未答复或未办结工单"]["E2"]
    assert opened.is_date and opened.number_format == "yyyy-mm-dd hh:mm"
    as_of = [row for row in workbook["概况"].iter_rows() if row[0].value == "统计截至"][0][1]
    assert isinstance(as_of.value, datetime) and as_of.is_date


def test_downloads_follow_the_chosen_language(client: FlaskClient, world: World) -> None:
    build_week(world)
    run_supervision_duties(world.runtime, world.sessions)
    weekly = report_id(world.sessions, "weekly", "2026-11-23")
    login(client, "supervisor")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    text = client.get(f"/reports/{weekly}.csv").get_data().decode("utf-8-sig")
    assert "# Departments" in text and "Total,6,5,4,1,2,50.0%" in text


def test_monthly_report_notable_cases_m3(client: FlaskClient, world: World) -> None:
    build_year_end_month(world)
    run_supervision_duties(world.runtime, world.sessions)
    monthly = report_id(world.sessions, "monthly", "2026-12-26")
    login(client, "supervisor")
    page = get(client, f"/reports/{monthly}")
    assert page.has("notable-missing")
    categories = {
        r.xpath("./td")[0].text_content().strip(): r.xpath("./td")[1].text_content().strip()
        for r in page.doc.xpath("//*[@id='table-categories']//tbody/tr")
    }
    assert (
        categories["IC卡水表故障"] == "3"
        and categories["无显无水"] == "1"
        and categories["（未细分）"] == "1"
    )
    assert categories["合计"] == "4"

    token = page.csrf_token()
    refused = post(
        client,
        f"/reports/{monthly}/notable",
        {"case_number": world.cases["M0"], "note": "x"},
        token,
        follow=True,
    )
    assert any(world.cases["M0"] in f for f in refused.flashes())
    saved = post(
        client,
        f"/reports/{monthly}/notable",
        {"case_number": world.cases["M2"], "note": "冬季水表冻裂,需提前宣传防冻"},
        token,
        follow=True,
    )
    assert saved.status == 200 and saved.has("notable-saved")
    assert saved.by_id("notable-case-0").get("value") == world.cases["M2"]
    notable_rows = saved.doc.xpath("//*[@id='table-notable']//tbody/tr")
    assert [r.xpath("./td")[0].text_content().strip() for r in notable_rows] == [world.cases["M2"]]

    workbook = load_workbook(io.BytesIO(client.get(f"/reports/{monthly}.xlsx").get_data()))
    assert workbook.sheetnames == [
        "概况",
        "各流程受理量",
        "分类统计",
        "各部门投诉情况",
        "上级转办工单",
        "案例分析",
    ]
    notable = [[c.value for c in row] for row in workbook["案例分析"].iter_rows()]
    assert notable[1][0] == world.cases["M2"] and notable[1][-1] == "冬季水表冻裂,需提前宣传防冻"
    weekly_id = report_id(world.sessions, "weekly", "2027-01-18")
    assert (
        post(client, f"/reports/{weekly_id}/notable", {"case_number": world.cases["M2"]}, token).status == 404
    )
    assert client.get("/reports/999999").status_code == 404


def test_nobody_opens_a_sampled_callback_by_hand_m1(client: FlaskClient, world: World) -> None:
    """M1: a callback case is opened only by the weekly draw; its task's group comes from the case data."""
    login(client, "operator")
    assert client.get("/cases/new/callback").status_code == 403
    choices = get(client, "/cases/new")
    assert "callback" not in choices.html and "回访抽样" not in choices.html


def test_the_sample_form_shows_the_facts_read_only_and_the_kpis_show_the_outcomes_m1_m4(
    client: FlaskClient, world: World
) -> None:
    """Item 7 of issue 16: the sampled callback's form shows the original case and the customer as text,
    not as fields, and a posted change to them is ignored; the customer is not satisfied, which sends the
    work back to the department, and the KPI page of that week counts it, with the callback still open."""
    from engine.supervision.periods import week_of
    from engine.supervision.sampling import draw_weekly_sample
    from tests.helpers import open_tasks
    from tests.report_fixtures import at

    build_week(world)
    with world.sessions.begin() as session:
        result = draw_weekly_sample(session, world.runtime, week_of(at(11, 23, 9, 0).date()), "tester")
    ((original, number),) = result.callbacks.items()
    world.when(at(12, 1, 10, 0))
    with world.sessions() as session:
        case_id = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.case_number == number)
        ).one()
        (task,) = open_tasks(session, case_id)
    login(client, "operator")
    page = get(client, f"/tasks/{task.id}")
    for field_id in ("original_case", "original_summary", "customer_name", "customer_phone"):
        shown = page.by_id(f"f-{field_id}")
        assert shown.tag == "p" and shown.get("data-readonly") == "true", field_id
        assert not page.doc.xpath("//form[@id='task-form']//*[@name=$n]", n=field_id), field_id
    assert page.text("f-original_case") == original
    assert page.text("f-customer_phone") == "13900000001"  # the operator must call the customer
    done = submit(
        client,
        f"/tasks/{task.id}",
        {"original_case": "XX-1", "customer_phone": "110", "reached": "on", "satisfied": "no"},
    )
    assert done.status == 302
    with world.sessions() as session:
        data = session.get_one(ProcessInstance, case_id).data
        assert (data["original_case"], data["customer_phone"], data["sent_back_count"]) == (
            original,
            "13900000001",
            1,
        )
        assert [t.element_id for t in open_tasks(session, case_id)] == ["department_rework"]

    switch_user(client, "supervisor")
    week = week_of(at(12, 1, 10, 0).date())
    kpi = get(client, f"/kpi?from={week.first.isoformat()}&to={week.last.isoformat()}")
    counts = {k: kpi.text(f"sampled-{k}") for k in ("satisfied", "not_satisfied", "not_reached", "open")}
    assert counts == {"satisfied": "0", "not_satisfied": "1", "not_reached": "0", "open": "1"}


def test_the_monthly_report_made_on_the_25th_says_the_span_it_counts_m3(
    client: FlaskClient, world: World
) -> None:
    """003 art.18: made on 25 January 2027 at 16:00 by the scheduler, the report says it counts the cases
    received from the previous cut-off (25 December 16:00) up to then, and that later ones are in the next
    summary; the reports page gives the next one on 25 February at 16:00, at the hour set."""
    build_year_end_month(world)
    world.when(datetime(2027, 1, 25, 16, 0, tzinfo=SHANGHAI))
    run_supervision_duties(world.runtime, world.sessions)
    monthly = report_id(world.sessions, "monthly", "2026-12-26")
    login(client, "supervisor")
    page = get(client, f"/reports/{monthly}")
    covered = page.text("report-covered")
    assert "2026-12-25 16:00" in covered and "2027-01-25 16:00" in covered
    assert "25 日" in covered and "计入下月汇总" in covered
    listing = get(client, "/reports")
    assert "2027-02-25 16:00" in listing.text("next-due")
    # The sentence ends as a sentence; the links to the other report pages stand on a line of their own.
    assert listing.text("next-due").endswith("。") and listing.has("link-kpi")
    assert "25 日 16:00" in listing.text("reports-hint")
    submit(client, "/tasks", {"next": "/tasks"}, post_url="/lang/en")
    english = get(client, f"/reports/{monthly}").text("report-covered")
    assert "from 2026-12-25 16:00 to 2027-01-25 16:00" in english
    assert "the cases received later on the 25th are in the next month’s summary" in english
