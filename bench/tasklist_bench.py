"""Tasklist benchmark: how fast the tasklist answers with 100,000 open cases (SQLite and PostgreSQL).

Setup, not timed: one complaint is opened through the engine, then cloned in SQL into N open cases
(each with its open department task and its candidate group), spread over categories, departments,
customers and due times. Timed: the queries behind the tasklist page (the count of every tab and the
first page of 50, `engine.tasklist.tasklist_page` as `webforms.tasks` calls it) for a department handler, plain, with a category
filter, with a text search and with "overdue"; and the whole page through the Flask test client.
Each is run `--repeat` times; the table shows the median and the slowest, in milliseconds.

    python -m bench.tasklist_bench                  # 100,000 cases on SQLite (and PostgreSQL if configured)
    python -m bench.tasklist_bench --cases 5000     # smoke run

The PostgreSQL run uses its own database (`<test database>_tasklist_bench`, created when missing)
and DROPS AND RECREATES its schema `public`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.databases import fresh_schema, own_database
from engine.clock import SettableClock
from engine.db import make_engine, make_session_factory
from engine.deployment import deploy
from engine.models import ProcessInstance
from engine.reference import seed_reference_data
from engine.runner import start_case
from engine.runtime import Actor, Engine
from engine.schema import upgrade
from engine.search_text import search_text
from engine.tasklist import TABS, TaskFilter, tasklist_page
from engine.users import create_user

POSTGRES_ENV = "HOTLINE_TEST_DATABASE_URL"
PROJECT = Path(__file__).resolve().parent.parent
COMPLAINT = PROJECT / "processes" / "complaint.bpmn"
RESULTS = Path(__file__).parent / "results"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DEPARTMENTS = ("operations", "repair", "billing", "technical", "customer_service")
CATEGORIES = ("temperature", "facility", "leak", "billing", "quality", "pressure", "conduct", "other")
HANDLER = ("ops_handler", frozenset({"operations"}))


def postgres_url(base: str) -> str:
    url = own_database(base, f"{make_url(base).database}_tasklist_bench")
    fresh_schema(url)
    return url


def prepare(database: SqlEngine, cases: int) -> None:
    upgrade(database)
    factory = make_session_factory(database)
    engine = Engine(clock=SettableClock(NOW))
    with factory.begin() as session:
        seed_reference_data(session)
        deploy(session, engine, COMPLAINT.read_bytes(), str(COMPLAINT), "bench")
    form = {"customer_name": "模板", "customer_phone": "13800000000", "address": "模板地址", "description": "模板投诉内容",
            "category": "temperature", "department": "operations", "apologised": "on"}
    with factory.begin() as session:
        template = start_case(session, engine, "complaint", Actor("operator", frozenset({"operator"})), form).id
    columns = [c.name for c in ProcessInstance.__table__.columns
               if c.name not in ("id", "case_number", "category", "department", "customer_name", "customer_phone", "address",
                                 "search_text")]
    rows = [{"n": n, "category": CATEGORIES[n % len(CATEGORIES)], "department": DEPARTMENTS[n % len(DEPARTMENTS)],
             "name": f"客户{n}", "phone": f"139{n:08d}", "address": f"金明区{n % 97}号楼{n % 6 + 1}单元{n % 30 + 1}01",
             "due": NOW + timedelta(minutes=(n % 4000) - 1000)} for n in range(1, cases + 1)]
    for row in rows:
        row["search"] = search_text((f"TL-{row['n']}", row["name"], row["phone"], row["address"]))
    with database.begin() as connection:
        connection.execute(text(
            f"INSERT INTO process_instance (case_number, category, department, customer_name, customer_phone, address, "
            f"search_text, {', '.join(columns)}) SELECT 'TL-' || :n, :category, :department, :name, :phone, :address, "
            f":search, "
            f"{', '.join(columns)} FROM process_instance WHERE id = {template}"), rows)
        connection.execute(text(
            "INSERT INTO human_task (instance_id, task_guid, element_id, name, candidate_groups, status, created_at, due_at) "
            "SELECT i.id, h.task_guid, h.element_id, h.name, i.department, 'open', h.created_at, NULL "
            f"FROM process_instance i JOIN human_task h ON h.instance_id = {template} WHERE i.case_number LIKE 'TL-%'"))
        connection.execute(text(
            "INSERT INTO human_task_group (task_id, group_name) SELECT id, candidate_groups FROM human_task "
            f"WHERE instance_id <> {template}"))
        connection.execute(text("UPDATE human_task SET due_at = :due WHERE instance_id = "
                                "(SELECT id FROM process_instance WHERE case_number = 'TL-' || :n)"),
                           [{"due": r["due"], "n": r["n"]} for r in rows[: min(cases, 20000)]])
        connection.execute(text("ANALYZE"))


def timed(what: Callable[[], Any], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        what()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), max(samples)


def measure(database: SqlEngine, url: str, repeat: int) -> list[dict[str, Any]]:
    factory = make_session_factory(database)
    user, groups = HANDLER
    filters = {
        "tasklist (todo tab, first page)": None,
        "with category filter": TaskFilter(category="leak"),
        "with text search": TaskFilter(text="金明区42号楼"),
        "overdue only": TaskFilter(overdue=True, now=NOW),
    }
    results = []
    for label, where in filters.items():
        def page(where: TaskFilter | None = where) -> None:
            with factory() as session:
                tasklist_page(session, "todo", TABS[:3], user, groups, 50, 0, where)
        p50, worst = timed(page, repeat)
        results.append({"what": label, "p50_ms": round(p50, 1), "max_ms": round(worst, 1)})
    results.append(web_page(url, repeat))
    return results


def web_page(url: str, repeat: int) -> dict[str, Any]:
    """The whole /tasks page, rendered by the app for a signed-in department handler."""
    from hotline.settings import Settings
    from webforms import create_app

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), database_url=url, timezone="Asia/Shanghai", secret_key="bench",
                            processes_dir=PROJECT / "processes")
        app = create_app(settings=settings, engine=Engine(clock=SettableClock(NOW)),
                         test_config={"TESTING": True, "LOGIN_DISABLED": False})
        factory = app.extensions["hotline"].sessions
        with factory.begin() as session:
            user_id = create_user(session, SettableClock(NOW), "ops_handler", "hotline123", "ops", ["operations"]).id
        client = app.test_client()
        with client.session_transaction() as browser_session:
            browser_session["_user_id"] = str(user_id)
            browser_session["_fresh"] = True
        assert client.get("/tasks").status_code == 200
        p50, worst = timed(lambda: client.get("/tasks?q=金明区"), repeat)
        app.extensions["hotline"].sessions.kw["bind"].dispose()
    return {"what": "whole /tasks page with a search (Flask)", "p50_ms": round(p50, 1), "max_ms": round(worst, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(POSTGRES_ENV))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", type=Path, default=RESULTS / "tasklist_bench.json")
    args = parser.parse_args(argv)
    report: dict[str, Any] = {"cases": args.cases}
    with tempfile.TemporaryDirectory() as directory:
        backends = [("sqlite", f"sqlite:///{Path(directory) / 'tasklist.db'}")]
        if args.postgres and not args.no_postgres:
            backends.append(("postgresql", postgres_url(args.postgres)))
        for name, url in backends:
            database = make_engine(url)
            began = time.perf_counter()
            prepare(database, args.cases)
            print(f"{name}: {args.cases} open cases set up in {time.perf_counter() - began:.1f} s")
            rows = measure(database, url, args.repeat)
            database.dispose()
            report[name] = rows
            print(f"{'':2}{'what':<44}{'p50 ms':>10}{'max ms':>10}")
            for row in rows:
                print(f"{'':2}{row['what']:<44}{row['p50_ms']:>10}{row['max_ms']:>10}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
