"""Tasklist benchmark: how fast the tasklist answers with 100,000 open cases (SQLite and PostgreSQL).

Setup, not timed: one complaint is opened through the engine, then cloned in SQL into N open cases
(each with its open department task and its candidate group), spread over categories, departments,
customers and due times. Timed: the whole `/tasks` page through the Flask test client (server time: the
counts of every tab, the page of 50 tasks, the filters, the rendering), for a department handler (20,000 open
tasks in their group) on each tab, a later page and each filter, and for a supervisor on "all open" with
searches. The pages take turns, `--repeat` rounds; one table gives p50 and p95 per database, in milliseconds.

    python -m bench.tasklist_bench                  # 100,000 cases on SQLite (and PostgreSQL if configured)
    python -m bench.tasklist_bench --cases 5000 --repeat 5   # smoke run

The PostgreSQL run uses its own database (`<test database>_tasklist_bench`, created when missing)
and DROPS AND RECREATES its schema `public`.
"""

from __future__ import annotations

import sys
from datetime import timedelta

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
)
from engine.cases import search_text
from engine.db import ProcessInstance

DEPARTMENTS = ("operations", "repair", "billing", "technical", "customer_service")
CATEGORIES = ("temperature", "facility", "leak", "billing", "quality", "pressure", "conduct", "other")
HANDLER = ("ops_handler", frozenset({"operations"}))


def prepare(database: SqlEngine, cases: int) -> None:
    template = template_case(database)
    columns = [
        c.name
        for c in ProcessInstance.__table__.columns
        if c.name
        not in (
            "id",
            "case_number",
            "category",
            "department",
            "customer_name",
            "customer_phone",
            "address",
            "search_text",
        )
    ]
    rows = [
        {
            "n": n,
            "category": CATEGORIES[n % len(CATEGORIES)],
            "department": DEPARTMENTS[n % len(DEPARTMENTS)],
            "name": f"客户{n}",
            "phone": f"139{n:08d}",
            "address": f"金明区{n % 97}号楼{n % 6 + 1}单元{n % 30 + 1}01",
            "due": NOW + timedelta(minutes=(n % 4000) - 1000),
        }
        for n in range(1, cases + 1)
    ]
    for row in rows:
        row["search"] = search_text((f"TL-{row['n']}", row["name"], row["phone"], row["address"]))
    with database.begin() as connection:
        connection.execute(
            text(
                f"INSERT INTO process_instance (case_number, category, department, customer_name, customer_phone, address, "
                f"search_text, {', '.join(columns)}) SELECT 'TL-' || :n, :category, :department, :name, :phone, :address, "
                f":search, "
                f"{', '.join(columns)} FROM process_instance WHERE id = {template}"
            ),
            rows,
        )
        connection.execute(
            text(
                "INSERT INTO human_task (instance_id, task_guid, element_id, name, candidate_groups, status, created_at, due_at) "
                "SELECT i.id, h.task_guid, h.element_id, h.name, i.department, 'open', h.created_at, NULL "
                f"FROM process_instance i JOIN human_task h ON h.instance_id = {template} WHERE i.case_number LIKE 'TL-%'"
            )
        )
        connection.execute(
            text(
                "INSERT INTO human_task_group (task_id, group_name) SELECT id, candidate_groups FROM human_task "
                f"WHERE instance_id <> {template}"
            )
        )
        connection.execute(
            text(
                "UPDATE human_task SET due_at = :due WHERE instance_id = "
                "(SELECT id FROM process_instance WHERE case_number = 'TL-' || :n)"
            ),
            [{"due": r["due"], "n": r["n"]} for r in rows[: min(cases, 20000)]],
        )
        connection.execute(text("ANALYZE"))
    if database.dialect.name == "postgresql":
        # What autovacuum does after a bulk load (the visibility map lets the narrow indexes answer alone);
        # a benchmark's server may run without autovacuum, so the loaded database would never get it.
        with database.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


# The whole /tasks page as the Flask view makes it (the counts of every tab, the page of 50, the filters),
# for a department handler (20,000 open tasks in their group; the search looks in case numbers only) ...
HANDLER_PAGES = {
    "to do tab": "/tasks",
    "unclaimed in my groups tab": "/tasks?tab=group",
    "claimed by me tab (empty)": "/tasks?tab=mine",
    "to do, page 3": "/tasks?page=3",
    "category filter": "/tasks?category=leak",
    "overdue only": "/tasks?due=overdue",
    "due today": "/tasks?due=today",
    "case number search": "/tasks?q=TL-4242",
}
# ... and for a supervisor, who also has "all open" (100,000) and searches names, phones and addresses.
SUPERVISOR_PAGES = {
    "all open tab": "/tasks?tab=all",
    "all open, address search (1 % of cases)": "/tasks?tab=all&q=金明区42号楼",
    "all open, search matching every case": "/tasks?tab=all&q=金明区",
    "all open, phone search": "/tasks?tab=all&q=13900004242",
}


def measure(database: SqlEngine, url: str, repeat: int) -> list[Row]:
    user, groups = HANDLER
    results = []
    with signed_in_client(url, user, sorted(groups)) as client:
        results += timed_pages(client, {f"handler: {k}": v for k, v in HANDLER_PAGES.items()}, repeat)
    with signed_in_client(url, "supervisor", ["supervisor"]) as client:
        results += timed_pages(client, {f"supervisor: {k}": v for k, v in SUPERVISOR_PAGES.items()}, repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    args = bench_arguments(__doc__, 100_000, "tasklist_bench.json", repeat=20).parse_args(argv)
    return run_backends(
        args,
        "tasklist_bench",
        {"cases": args.cases},
        f"{args.cases} open cases",
        lambda database: prepare(database, args.cases),
        lambda database, url: measure(database, url, args.repeat),
        52,
    )


if __name__ == "__main__":
    sys.exit(main())
