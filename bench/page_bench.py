"""What the page benchmarks (tasklist, case search) share: the cloned complaint they start from, the
timing of a query or page, a signed-in test client, and the run over SQLite and PostgreSQL with its
table and JSON report."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine as SqlEngine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_schema, own_database
from bench.procedures import deploy_procedure
from engine.cases import start_case
from engine.clock import SettableClock
from engine.db import make_engine, make_session_factory, upgrade
from engine.people import create_user, open_session
from engine.reference import seed_reference_data
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork

POSTGRES_ENV = "HOTLINE_TEST_DATABASE_URL"
PROJECT = Path(__file__).resolve().parent.parent
COMPLAINT = PROJECT / "processes" / "complaint.bpmn"
RESULTS = Path(__file__).parent / "results"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
TEMPLATE_FORM = {
    "customer_name": "模板",
    "customer_phone": "13800000000",
    "address": "模板地址",
    "description": "模板投诉内容",
    "category": "temperature",
    "department": "operations",
    "apologised": "on",
}

Row = dict[str, Any]


def template_case(database: SqlEngine) -> int:
    """A fresh schema with the reference data, the complaint procedure and one complaint opened through
    the engine, which the benchmark then clones in SQL; returns that case's id."""
    upgrade(database)
    factory = make_session_factory(database)
    engine = Runtime(clock=SettableClock(NOW))
    with factory.begin() as session:
        seed_reference_data(session, engine.clock)
        deploy_procedure(session, engine, COMPLAINT)
    with factory.begin() as session:
        return start_case(
            session, engine, "complaint", Actor("operator", frozenset({"operator"})), TEMPLATE_FORM
        ).id


def summary(label: str, samples: list[float]) -> Row:
    """Median, 95th percentile and slowest of the samples (ms)."""
    p95 = statistics.quantiles(samples, n=20, method="inclusive")[-1] if len(samples) > 1 else samples[0]
    return {
        "what": label,
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(samples), 1),
    }


def timed_rounds(whats: dict[str, Callable[[], Any]], repeat: int) -> list[Row]:
    """Each of `whats` run `repeat` times, taking turns round after round so that a spell of load on the
    machine falls on all of them alike; a row per label with p50, p95 and the slowest (ms)."""
    samples: dict[str, list[float]] = {label: [] for label in whats}
    for _ in range(repeat):
        for label, what in whats.items():
            began = time.perf_counter()
            what()
            samples[label].append((time.perf_counter() - began) * 1000)
    return [summary(label, taken) for label, taken in samples.items()]


def timed_queries(
    database: SqlEngine, queries: dict[str, Callable[[Session], Any]], repeat: int
) -> list[Row]:
    """Each query run in a session of its own, as a request would."""
    factory: sessionmaker[Session] = make_session_factory(database)

    def in_session(query: Callable[[Session], Any]) -> Callable[[], None]:
        def run() -> None:
            with factory() as session:
                query(session)

        return run

    return timed_rounds({label: in_session(query) for label, query in queries.items()}, repeat)


@contextmanager
def signed_in_client(url: str, username: str, groups: list[str]) -> Iterator[FlaskClient]:
    """The app on the benchmark's database, with a test client signed in as a new user in `groups`."""
    from hotline.bootstrap import bootstrap
    from hotline.settings import Settings
    from hotline.web import web_app

    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home), database_url=url, secret_key="bench", processes_dir=PROJECT / "processes"
        )
        app = web_app(
            bootstrap(settings, clock=SettableClock(NOW)),
            test_config={"TESTING": True, "LOGIN_DISABLED": False},
        )
        hotline = app.extensions["hotline"]
        factory = hotline.sessions
        with factory.begin() as session:
            user_id = create_user(session, SettableClock(NOW), username, "hotline123", username, groups).id
        # Signed in as the sign-in page does it: a session on the server, its token in the cookie.
        with UnitOfWork(factory, hotline.runtime) as uow:
            token = open_session(uow, user_id, "127.0.0.1", settings.session_limits())
            uow.commit()
        client = app.test_client()
        with client.session_transaction() as browser_session:
            browser_session["_user_id"] = token
            browser_session["_fresh"] = True
        try:
            yield client
        finally:
            factory.kw["bind"].dispose()


def timed_pages(client: FlaskClient, pages: dict[str, str], repeat: int) -> list[Row]:
    """Whole pages through the test client, as the server makes them; each must answer 200 first."""
    for address in pages.values():
        assert client.get(address).status_code == 200, address
    return timed_rounds(
        {label: lambda address=address: client.get(address) for label, address in pages.items()}, repeat
    )


def bench_arguments(doc: str, cases: int, json_name: str, repeat: int = 15) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=cases)
    parser.add_argument("--repeat", type=int, default=repeat)
    parser.add_argument("--postgres", metavar="URL", default=os.environ.get(POSTGRES_ENV))
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", type=Path, default=RESULTS / json_name)
    return parser


def run_backends(
    args: argparse.Namespace,
    name: str,
    report: dict[str, Any],
    what: str,
    prepare: Callable[[SqlEngine], None],
    measure: Callable[[SqlEngine, str], list[Row]],
    width: int,
) -> int:
    """Prepare and measure on SQLite, then on PostgreSQL (its own database `<test database>_<name>`,
    schema dropped first) unless told not to; print one table (p50 and p95 of each backend side by side)
    and write the JSON report."""
    with tempfile.TemporaryDirectory() as directory:
        backends = [("sqlite", f"sqlite:///{Path(directory) / f'{name}.db'}")]
        if args.postgres and not args.no_postgres:
            url = own_database(args.postgres, f"{make_url(args.postgres).database}_{name}")
            fresh_schema(url)
            backends.append(("postgresql", url))
        for backend, url in backends:
            database = make_engine(url)
            began = time.perf_counter()
            prepare(database)
            print(f"{backend}: {what} set up in {time.perf_counter() - began:.1f} s", flush=True)
            report[backend] = measure(database, url)
            database.dispose()
    print_table(report, [backend for backend, _url in backends], width)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"written {args.json}")
    return 0


def print_table(report: dict[str, Any], backends: list[str], width: int) -> None:
    """One row per measurement, p50 and p95 (ms) of every backend."""
    print(f"{'what':<{width}}" + "".join(f"{f'{b} p50':>17}{f'{b} p95':>17}" for b in backends))
    for n, row in enumerate(report[backends[0]]):
        cells = [(report[b][n]["p50_ms"], report[b][n]["p95_ms"]) for b in backends]
        print(f"{row['what']:<{width}}" + "".join(f"{p50:>17}{p95:>17}" for p50, p95 in cells))
