"""Case search benchmark: how fast supervisors find cases and read one, with 100,000 cases and
1,000,000 history events (SQLite and PostgreSQL).

Setup, not timed: one complaint is opened through the engine, then cloned in SQL into N cases spread
over a year, three procedures, categories, departments, customers (names, mobile and landline numbers,
addresses) and states (a third open, each open case with its department task, some past due), and
every case gets `--events-per-case` history events. Timed: the queries behind /cases (the count and a
page of 50, as `webforms.work.cases` runs them) for the typical searches, a page deep in the results, and
the whole /cases and /cases/<number> pages through the Flask test client. Each is run `--repeat`
times; the table shows the median and the slowest, in milliseconds.

    python -m bench.search_bench                         # 100,000 cases on SQLite (and PostgreSQL if configured)
    python -m bench.search_bench --cases 2000            # smoke run

The PostgreSQL run uses its own database (`<test database>_search_bench`, created when missing) and
DROPS AND RECREATES its schema `public`.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import text

from bench.page_bench import (
    NOW,
    Row,
    bench_arguments,
    run_backends,
    signed_in_client,
    template_case,
    timed_pages,
    timed_queries,
)
from engine.db import ProcessInstance
from engine.supervision import CaseQuery, count_cases_matching, search_cases

PROCESSES = ("complaint", "complaint", "repair", "consultation")
DEPARTMENTS = ("operations", "repair", "billing", "technical", "customer_service")
CATEGORIES = ("temperature", "facility", "leak", "billing", "quality", "pressure", "conduct", "other")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
)
DISTRICTS = ("金明区", "兴华区", "西夏区", "金凤区")


def case_row(n: int) -> dict[str, Any]:
    """Case n of the fake year: who called, about what, when, and whether it is still open."""
    running = n % 3 == 0
    phone = f"0951-5{n % 1_000_000:06d}" if n % 5 == 0 else f"139{n:08d}"
    return {
        "n": n,
        "number": f"TS-{(NOW - timedelta(minutes=5 * n)).strftime('%Y%m%d')}-{n:06d}",
        "process": PROCESSES[n % len(PROCESSES)],
        "category": CATEGORIES[n % len(CATEGORIES)],
        "department": DEPARTMENTS[n % len(DEPARTMENTS)],
        "name": SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)],
        "phone": phone,
        "address": f"{DISTRICTS[n % len(DISTRICTS)]}{n % 97}号楼{n % 6 + 1}单元{n % 30 + 1}01",
        "opened": NOW - timedelta(minutes=5 * n),
        "status": "running" if running else "completed",
        "closed": None if running else NOW - timedelta(minutes=5 * n - 600),
    }


def prepare(database: SqlEngine, cases: int, events_per_case: int) -> None:
    template = template_case(database)
    varied = (
        "id",
        "case_number",
        "process_key",
        "category",
        "department",
        "customer_name",
        "customer_phone",
        "address",
        "opened_at",
        "updated_at",
        "status",
        "closed_at",
    )
    columns = [c.name for c in ProcessInstance.__table__.columns if c.name not in varied]
    rows = [case_row(n) for n in range(1, cases + 1)]
    with database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO process_instance (case_number, process_key, category, department, customer_name, customer_phone, "
                f"address, opened_at, updated_at, status, closed_at, {', '.join(columns)}) "
                "SELECT :number, :process, :category, :department, :name, :phone, :address, :opened, :opened, :status, :closed, "
                f"{', '.join(columns)} FROM process_instance WHERE id = {template}"
            ),
            rows,
        )
        # Open cases: their department's task, due at the end of their day; the newest are not due yet.
        connection.execute(
            text(
                "INSERT INTO human_task (instance_id, task_guid, element_id, name, candidate_groups, status, created_at, due_at) "
                "SELECT i.id, h.task_guid, h.element_id, h.name, i.department, 'open', i.opened_at, i.opened_at "
                f"FROM process_instance i JOIN human_task h ON h.instance_id = {template} "
                "WHERE i.status = 'running' AND i.id <> :template"
            ),
            {"template": template},
        )
        connection.execute(
            text(
                "UPDATE human_task SET due_at = :later WHERE instance_id IN "
                "(SELECT id FROM process_instance WHERE opened_at > :recent) AND status = 'open'"
            ),
            {"later": NOW + timedelta(hours=8), "recent": NOW - timedelta(days=2)},
        )
        numbers = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(events_per_case))
        connection.execute(
            text(
                "INSERT INTO event (instance_id, at, actor, kind, element_id, element_name, changes) "
                "SELECT i.id, i.opened_at, 'operator', 'task_completed', 'intake', '登记投诉', e.changes "
                f"FROM process_instance i CROSS JOIN ({numbers}) k JOIN event e ON e.instance_id = {template} AND e.kind = 'task_completed' "
                "WHERE i.id <> :template ORDER BY i.id, k.k"
            ),
            {"template": template},
        )
        connection.execute(text("ANALYZE"))


def searches(cases: int) -> dict[str, CaseQuery]:
    some = case_row(cases // 2 + 1)
    return {
        "all cases, newest first": CaseQuery(),
        "part of a case number": CaseQuery(case_number=some["number"][-6:]),
        "customer name": CaseQuery(customer=str(some["name"])),
        "part of a phone number": CaseQuery(phone=str(some["phone"])[-7:]),
        "part of an address": CaseQuery(address=str(some["address"])[:7]),
        "department + open": CaseQuery(department="repair", status="running"),
        "open + part of an address": CaseQuery(status="running", address=str(some["address"])[:7]),
        "department + customer name": CaseQuery(department="repair", customer=str(some["name"])),
        "category + a month": CaseQuery(
            category="leak", opened_from=NOW - timedelta(days=60), opened_before=NOW - timedelta(days=30)
        ),
        "procedure, oldest first": CaseQuery(process_key="consultation", sort="oldest"),
        "overdue only": CaseQuery(overdue=True, now=NOW),
    }


def measure(database: SqlEngine, url: str, cases: int, repeat: int) -> list[Row]:
    def page(query: CaseQuery) -> Any:
        return lambda session: (count_cases_matching(session, query), search_cases(session, query, 50, 0))

    queries = {label: page(query) for label, query in searches(cases).items()}
    queries["page 501 of closed cases"] = lambda session: search_cases(
        session, CaseQuery(status="completed"), 50, 50 * 500
    )
    results = timed_queries(database, queries, repeat)
    # The whole /cases page with a search and a case page with its history, diagram and deadlines.
    some = case_row(cases // 3 * 3)  # an open case
    with signed_in_client(url, "supervisor", ["supervisor"]) as client:
        results += timed_pages(
            client,
            {
                "whole /cases page, address search (Flask)": f"/cases?address={some['address'][:7]}&status=running",
                f"whole case page, {some['number']} (Flask)": f"/cases/{some['number']}",
            },
            repeat,
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = bench_arguments(__doc__, 100_000, "search_bench.json")
    parser.add_argument("--events-per-case", type=int, default=10)
    args = parser.parse_args(argv)
    events = args.cases * args.events_per_case
    return run_backends(
        args,
        "search_bench",
        {"cases": args.cases, "events": events},
        f"{args.cases} cases and {events} events",
        lambda database: prepare(database, args.cases, args.events_per_case),
        lambda database, url: measure(database, url, args.cases, args.repeat),
        52,
    )


if __name__ == "__main__":
    sys.exit(main())
