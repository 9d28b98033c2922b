"""The reports by case source (issue 19): the monthly report's table of cases from each higher authority
(M10, 003 art. 22(三)) and the weekly report split by source, against the figures computed by hand in
tests/report_fixtures.py (THE SOURCES MONTH); the XLSX and CSV carry them in both languages."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.messages import english as english_text
from engine.runtime import Runtime
from engine.supervision.periods import month_period_of, week_of
from engine.supervision.reports.export import report_tables, to_xlsx
from engine.supervision.reports.store import generate_report
from hotline.errors import cli_translation
from tests.report_fixtures import SHANGHAI, World, build_sources_month, make_world

MONTH = month_period_of(date(2026, 12, 1))
WEEK = week_of(date(2026, 11, 30))
HIGHER = {
    "mayor_12345": (2, 1, 1),
    "sasac_platform": (1, 1, 0),
    "forwarded_letter": (0, 0, 0),
    "consumer_association": (0, 0, 0),
    "digital_city": (1, 0, 0),
    "media": (0, 0, 0),
}


@pytest.fixture
def world(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
    deploy_process: Callable[[str], ProcessDefinition],
) -> World:
    return build_sources_month(make_world(sessions, runtime, clock, deploy_process))


def _content(world: World, kind: str) -> dict:
    with world.sessions.begin() as session:
        report, created = generate_report(
            session, world.runtime, kind, MONTH if kind == "monthly" else WEEK, "t"
        )
    assert created
    return report.content


def test_monthly_report_counts_cases_from_each_higher_authority_m10(world: World) -> None:
    """M10: 12345, 政民互动, 信访局/建设局 letters, 消协, 数字城管 and media, each with its figures; S0 of
    the month before and the own hotline's and walk-in cases are not among them."""
    content = _content(world, "monthly")
    assert {
        r["code"]: (r["received"], r["replied"], r["closed"]) for r in content["higher_authorities"]
    } == HIGHER
    assert [r["code"] for r in content["higher_authorities"]] == list(HIGHER)
    assert content["names"]["sources"]["mayor_12345"] == {
        "name": "12345市长专线",
        "name_en": "12345 mayor's hotline",
        "upstream": True,
    }


def test_weekly_report_splits_the_cases_by_source_m2(world: World) -> None:
    content = _content(world, "weekly")
    counts = {
        r["code"]: (r["received"], r["replied"], r["closed"]) for r in content["sources"] if r["received"]
    }
    assert counts == {
        "hotline": (1, 1, 0),
        "walk_in": (1, 0, 0),
        "mayor_12345": (2, 1, 1),
        "sasac_platform": (1, 1, 0),
        "digital_city": (1, 0, 0),
    }
    assert (
        len(content["sources"]) == 11
    )  # every active source (the hot spots' one too), with or without cases


@pytest.mark.parametrize(
    ("language", "catalog", "sheet", "first_row", "total_row"),
    [
        ("zh", "zh_CN", "上级转办工单", ["12345市长专线", 2, 1, 1], ["合计", 4, 2, 1]),
        ("en", "en", "Cases from higher authorities", ["12345 mayor's hotline", 2, 1, 1], ["Total", 4, 2, 1]),
    ],
)
def test_the_xlsx_holds_the_higher_authorities_table_in_both_languages_m10(
    world: World, language: str, catalog: str, sheet: str, first_row: list, total_row: list
) -> None:
    content = _content(world, "monthly")
    translate = cli_translation(catalog) if language == "zh" else english_text
    tables = report_tables("monthly", content, None, language, zone=SHANGHAI, translate=translate)
    workbook = load_workbook(io.BytesIO(to_xlsx(tables)))
    values = [[cell.value for cell in row] for row in workbook[sheet].iter_rows()]
    assert values[1] == first_row and values[-1] == total_row and len(values) == 2 + len(HIGHER)
