"""Task completions per second through the REST API (gunicorn, two workers) against the same
completions called directly through the engine's use case, in the same run, on one SQLite database:
the API's overhead as a ratio.

Setup, not timed: a SQLite file in a temporary home with the schema, the reference data and the
one-task process of bench/one_task.py deployed (start → a user task with a form of four fields → end),
one API client (role operator, scope tasks:work) per client thread, made with the use case behind
`hotline api-clients add`, and enough cases opened through the engine that every completion below has
its own open task.

- **engine**: `--engine-workers` spawned processes (default 2, like gunicorn's workers), each with its
  own connection pool, complete their share of the tasks with `engine.work.complete_task` in a
  `UnitOfWork` of their own, as the API view does (without Flask); the same as bench/web_bench.py.
- **api**: gunicorn with two workers on a loopback port, on the same database, on the shipped
  configuration or with sync workers (`--server`, as bench/web_bench.py). Each of
  `--clients` threads POSTs `/api/v1/tasks/<id>/complete` with its bearer token and the form's values
  as JSON for each of its tasks (answer: 200 with the task). Warm-up completions run before the first
  round; the rate limit is raised so that it never answers 429 here.

The two take turns for --rounds rounds; a round's completions/s is its completions over the time from
the first to the last; the median round of each is reported and every round is in the JSON. The client
threads run in this process, on the same cores as the server: part of what the API costs here is the
client's.

    python -m bench.api_bench                      # 4 clients, 150 completions a round, 3 rounds
    python -m bench.api_bench --completions 10 --rounds 1 --warmup 2   # smoke run
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/api_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.one_task import (
    FORM,
    GROUP,
    PROCESS_KEY,
    Round,
    history_per_case,
    machine,
    prepare_database,
    write_report,
)
from bench.web_bench import (
    EngineWorkers,
    free_port,
    http_round,
    parse_args,
    plan_tasks,
    print_rows,
    row,
    run_document,
    start_gunicorn,
    stop,
)
from engine.clock import SystemClock
from engine.db import make_engine, make_session_factory
from engine.people import add_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "bench" / "results" / "api_bench.json"


def make_tokens(url: str, count: int) -> list[str]:
    database = make_engine(url)
    tokens = []
    try:
        runtime = Runtime(clock=SystemClock())
        for i in range(count):
            with UnitOfWork(make_session_factory(database), runtime) as uow:
                made = add_api_client(
                    uow,
                    "bench",
                    f"bench-client-{i}",
                    scopes=["tasks:work"],
                    role=GROUP,
                    expires_at=uow.clock.now() + timedelta(days=1),
                )
                tokens.append(made.token)
                uow.commit()
    finally:
        database.dispose()
    return tokens


class ApiClient:
    """A program calling the API with its token."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.body = json.dumps({"values": FORM}).encode()

    def complete(self, task_id: int) -> None:
        path = f"/api/v1/tasks/{task_id}/complete"
        request = urllib.request.Request(self.base + path, self.body, self.headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status = response.status
                response.read()
        except urllib.error.HTTPError as answer:
            raise RuntimeError(f"POST {path}: {answer.code}: {answer.read()[:500]!r}") from None
        if status != 200:
            raise RuntimeError(f"POST {path}: {status}, expected 200")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(
        argv, "python -m bench.api_bench", __doc__, "API client threads", RESULTS_FILE, warmup_why=""
    )
    n, rounds = args.completions, args.rounds
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotline-api-bench-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'api_bench.db'}"
        prepare_database(url)
        tokens = make_tokens(url, args.clients)
        plan = plan_tasks(url, args)
        workers = EngineWorkers(url, args.engine_workers, plan.engine_warmup, plan.engine_rounds)
        prepared = time.monotonic()
        # Measured here: the API, not its rate limit.
        unlimited = {"HOTLINE_API_RATE_LIMIT": "1000000 per minute"}
        server, base = start_gunicorn(
            home, url, free_port(), args.gunicorn_workers, unlimited, server=args.server
        )
        print(
            f"set up in {prepared - began:.1f} s (schema, {len(tokens)} API clients, "
            f"{plan.cases} cases); gunicorn up in {time.monotonic() - prepared:.1f} s"
        )
        try:
            clients = [ApiClient(base, token) for token in tokens]
            http_round(clients, plan.client_warmup)
            by_side: dict[str, list[Round]] = {"engine": [], "api": []}
            for r in range(rounds):
                by_side["engine"].append(Round("engine", workers.run_round(), n))
                by_side["api"].append(Round("api", http_round(clients, plan.client_rounds[r]), n))
        finally:
            stop(server)
            workers.close()
        history = history_per_case(url)
    if history["completed"] != history["cases"]:
        raise RuntimeError(f"not every case completed: {history}")
    rows = [
        row("engine", by_side["engine"], None, f"{args.engine_workers} processes"),
        row(
            "api",
            by_side["api"],
            by_side["engine"],
            f"gunicorn {args.server} -w {args.gunicorn_workers}, {args.clients} clients",
        ),
    ]
    print(
        f"{PROCESS_KEY}: task completions (a form of 4 fields), {n} a round, median of {rounds} rounds, SQLite"
    )
    print_rows(rows, cpu=False)
    packages = machine("gunicorn", "SQLAlchemy", "flask-smorest", "Flask-Limiter")
    document = run_document("api_bench", args, history, rows, packages)
    write_report(args.json, document)
    print(f"written {args.json} ({time.monotonic() - began:.1f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
