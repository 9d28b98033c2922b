"""`hotline demo` on a fresh embedded database: schema, every procedure, users, reference data and an
open case of every procedure, as the README's first command promises."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from engine.clock import DEFAULT_TIME_ZONE
from engine.db.models import (
    CallbackSample,
    Category,
    Customer,
    HumanTask,
    Notice,
    Notification,
    ProcessInstance,
    Report,
)
from hotline.cli import main
from tests.cli.conftest import Demo

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_demo_sets_up_every_procedure_with_open_cases(demo: Demo) -> None:
    assert "ops_head" in demo.output and "hotline123" in demo.output
    db = create_engine(demo.url)
    with Session(db) as session:
        keys = session.scalars(select(ProcessInstance.process_key).order_by(ProcessInstance.id)).all()
        assert sorted(set(keys)) == [
            "callback",
            "complaint",
            "connection",
            "consultation",
            "liaison",
            "outage",
            "repair",
        ]
        # past cases, with last week's report, the monthly report that is due, last week's callback sample
        # and last quarter's satisfaction survey (M9)
        assert session.scalar(select(func.count()).select_from(Report)) == 2
        assert session.scalar(select(func.count()).select_from(CallbackSample)) == 2
        weekly = session.scalars(select(Report).where(Report.kind == "weekly")).one()
        assert weekly.content["total"]["received"] == 12 and weekly.content["open_cases"]
        assert session.scalar(select(func.count()).select_from(Category)) >= 20
        assert session.scalar(select(func.count()).select_from(Customer)) > 0
        assert session.scalars(select(Notice.kind)).all() == ["outage"]
        assert session.scalars(select(Notification.recipient)).all() == ["ops_head"]
    again = CliRunner().invoke(main, ["demo"])  # a second run adds no second set of cases
    assert again.exit_code == 0
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == len(keys)
    db.dispose()


def test_the_demos_open_cases_wait_at_steps_with_realistic_deadlines(demo: Demo) -> None:
    """Minutes after `hotline demo` nothing of today's cases is overdue: the 3-minute orders (C2, R2) went
    out as a dispatcher sends them, so every open task of today's cases has at least half an hour, or
    the same-day reply's end of the day (C3, R6)."""
    db = create_engine(demo.url)
    with Session(db) as session:
        started = session.scalar(select(func.max(ProcessInstance.opened_at)))
        tasks = session.execute(
            select(ProcessInstance.case_number, HumanTask.element_id, HumanTask.created_at, HumanTask.due_at)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .where(HumanTask.status == "open", ProcessInstance.opened_at >= started - timedelta(hours=1))
        ).all()
    db.dispose()
    zone = ZoneInfo(DEFAULT_TIME_ZONE)
    for number, element, created, due in tasks:
        if due is None:
            continue
        end_of_day = due.astimezone(zone).strftime("%H:%M") == "23:59"
        assert end_of_day or due - created >= timedelta(minutes=30), (number, element, created, due)
    assert {element for _n, element, _c, _d in tasks} >= {"department_handling", "arrive_on_site"}


def test_the_readme_tells_how_to_change_the_port_and_make_honours_it() -> None:
    """Port 5000 is often taken (AirPlay on macOS, another app): the README says PORT=, and it works."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo PORT=8080" in readme and "--port 8080" in readme
    planned = subprocess.run(
        ["make", "-n", "serve", "PORT=8123"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "serve --port 8123" in planned


def test_every_demo_caller_is_in_the_register_with_their_cases_m5(demo: Demo) -> None:
    """M5: the demo's cases are recorded as calls are, so a repeat caller is found by name or phone at
    intake, with their earlier cases."""
    from engine.people import cases_of_phone, find_customers

    db = create_engine(demo.url)
    with Session(db) as session:
        callers = set(
            session.scalars(
                select(ProcessInstance.customer_phone).where(ProcessInstance.customer_phone != "")
            )
        )
        registered = set(session.scalars(select(Customer.phone)))
        assert callers and callers <= registered
        assert [c.phone for c in find_customers(session, "张伟")] == ["13800001111"]
        assert [c.name for c in find_customers(session, "13800001111")] == ["张伟"]
        assert len(cases_of_phone(session, "13800001111")) >= 8
    db.dispose()


def test_the_demo_knowledge_base_answers_a_winter_question_q1(demo: Demo) -> None:
    """Q1: a newcomer can try the knowledge base and the intake's suggestions on the demo at once."""
    from engine.knowledge import search_entries

    db = create_engine(demo.url)
    with Session(db) as session:
        found = search_entries(session, "家里暖气不热，室温很低，能退费吗", "temperature", date(2026, 12, 7))
        assert found and found[0].entry.title == "室温不达标如何申请退费"
        assert all(f.entry.owner == "supervisor" for f in found)
    db.dispose()
