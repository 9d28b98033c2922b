"""A supervisor's Monday in the browser (M1-M4): the weekly report made at 07:00 with its reasons, the
sampled callback done by an operator from the tasklist, and the KPIs with their charts, on a desktop
and on a 360-pixel-wide phone."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from hotline.scheduling import run_supervision_duties
from tests.browser.support import PHONE, Page, do_task, expect, second_browser, shot, sign_in, sign_out
from tests.browser.test_phone_lists_browser import check_cards
from tests.report_fixtures import build_week, make_world

pytestmark = pytest.mark.browser


def test_weekly_report_sampled_callback_and_kpis_m1_m2_m4(
    page: Page,
    server: str,
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    """M2: Monday's report lists B and C with their reasons; M1: the drawn order is an operator's task;
    M4: the reached customer's answer shows in the satisfaction rate of the week it was given."""
    world = build_week(make_world(sessions, runtime, clock, deploy_process))
    run_supervision_duties(runtime, sessions)

    sign_in(page, "supervisor")
    page.click("#nav-reports")
    expect(page.locator("#report-list")).to_contain_text("2026-11-23 – 2026-11-29")
    expect(page.locator("#sample-list")).to_contain_text("抽取可重现")
    shot(page, "reports-01-list")
    page.locator("#report-list a", has_text="热线周报 2026-W48").click()
    open_cases = page.locator("#table-open_cases")
    expect(open_cases).to_contain_text(world.cases["B"])
    expect(open_cases).to_contain_text("已超时151.0小时")
    expect(open_cases).to_contain_text("客户不满意退回2次")
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename == "hotline-weekly-2026-11-23_2026-11-29.xlsx"
    shot(page, "reports-02-weekly")
    page.goto("/reports")  # the sample names the original case and the callback case opened for it
    callback_number = page.locator("#sample-list tbody tr").first.locator("a").nth(1).inner_text().strip()
    assert callback_number.startswith("HF-")
    sign_out(page)

    sign_in(page, "operator")
    do_task(
        page,
        "sample_callback",
        callback_number,
        {"reached": True, "satisfied": "yes", "callback_comment": "维修及时,很满意"},
    )
    shot(page, "reports-03-callback-done")
    sign_out(page)

    sign_in(page, "supervisor")
    page.goto("/kpi?from=2026-11-30&to=2026-11-30")
    total = page.locator("#kpi-table tr[data-row='total'] td[data-col='satisfaction']")
    expect(total).to_contain_text("100.0% 1/1")
    expect(page.locator("#chart-satisfaction .chart-bar")).to_have_count(2)  # the department and the total
    expect(page.locator("#definition-satisfaction")).to_contain_text("抽样回访")
    shot(page, "reports-04-kpi")

    with second_browser(page, server, PHONE, phone=True) as phone:
        sign_in(phone, "supervisor")
        phone.goto("/kpi?from=2026-11-23&to=2026-11-29")
        expect(phone.locator("#chart-timeliness")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        shot(phone, "reports-05-kpi-phone")
        phone.goto("/reports")  # each report and each week's sample is a card on the phone
        check_cards(phone, "#report-list", "reports")
        check_cards(phone, "#sample-list", "samples")
