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
- **api**: `gunicorn -w 2 'hotline.web:web_app()'` on a loopback port, on the same database. Each of
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

import argparse
import json
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/api_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.one_task import (
    FORM,
    GROUP,
    PROCESS_KEY,
    Round,
    Timing,
    history_per_case,
    machine,
    monotonic,
    open_cases,
    prepare_database,
    print_table,
    write_report,
)
from bench.web_bench import EngineWorkers, free_port, row, split, start_gunicorn, stop
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


def api_round(clients: list[ApiClient], task_ids: list[list[int]]) -> list[Timing]:
    """Each client completes its tasks from a thread of its own; all start together."""
    timings: list[Timing | None] = [None] * len(clients)
    errors: list[str] = []
    start = threading.Barrier(len(clients))

    def work(i: int) -> None:
        try:
            start.wait()
            timing = Timing(monotonic(), 0.0, {"complete": []})
            for task_id in task_ids[i]:
                t0 = monotonic()
                clients[i].complete(task_id)
                timing.units["complete"].append(monotonic() - t0)
            timing.ended = monotonic()
            timings[i] = timing
        except Exception:
            errors.append(traceback.format_exc())
            start.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"a client failed:\n{errors[0]}")
    return [t for t in timings if t is not None]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help="API client threads (default 4)")
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--engine-workers", type=int, default=2, help="engine-level processes (default 2)")
    parser.add_argument(
        "--completions", type=int, default=150, help="task completions per round and side (default 150)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side; the median is reported")
    parser.add_argument("--warmup", type=int, default=10, help="untimed completions per client and worker")
    parser.add_argument(
        "--json", type=Path, default=RESULTS_FILE, help=f"where to write results (default {RESULTS_FILE})"
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.gunicorn_workers, args.engine_workers, args.completions, args.rounds) < 1:
        parser.error("--clients, the workers, --completions and --rounds must be at least 1")
    if args.warmup < 1:
        parser.error("--warmup must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n, rounds = args.completions, args.rounds
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotline-api-bench-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'api_bench.db'}"
        prepare_database(url)
        tokens = make_tokens(url, args.clients)
        engine_warmup = args.warmup * args.engine_workers
        api_warmup = args.warmup * args.clients
        tasks = open_cases(url, engine_warmup + api_warmup + 2 * n * rounds)
        engine_tasks, tasks = tasks[:engine_warmup], tasks[engine_warmup:]
        client_warmup, tasks = tasks[:api_warmup], tasks[api_warmup:]
        engine_rounds = [split(tasks[r * n : (r + 1) * n], args.engine_workers) for r in range(rounds)]
        tasks = tasks[n * rounds :]
        api_rounds = [split(tasks[r * n : (r + 1) * n], args.clients) for r in range(rounds)]

        workers = EngineWorkers(
            url, args.engine_workers, split(engine_tasks, args.engine_workers), engine_rounds
        )
        prepared = time.monotonic()
        # Measured here: the API, not its rate limit.
        unlimited = {"HOTLINE_API_RATE_LIMIT": "1000000 per minute"}
        server, base = start_gunicorn(home, url, free_port(), args.gunicorn_workers, unlimited)
        print(
            f"set up in {prepared - began:.1f} s (schema, {len(tokens)} API clients, "
            f"{engine_warmup + api_warmup + 2 * n * rounds} cases); gunicorn up in {time.monotonic() - prepared:.1f} s"
        )
        try:
            clients = [ApiClient(base, token) for token in tokens]
            api_round(clients, split(client_warmup, args.clients))
            by_side: dict[str, list[Round]] = {"engine": [], "api": []}
            for r in range(rounds):
                by_side["engine"].append(Round("engine", workers.run_round(), n))
                by_side["api"].append(Round("api", api_round(clients, api_rounds[r]), n))
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
            f"gunicorn -w {args.gunicorn_workers}, {args.clients} clients",
        ),
    ]
    print(
        f"{PROCESS_KEY}: task completions (a form of 4 fields), {n} a round, median of {rounds} rounds, SQLite"
    )
    print_table(
        ("side", "parallel", "completions", "completions/s", "p50 ms", "p99 ms", "× engine"),
        [
            (
                r["side"],
                r["parallel"],
                str(r["completions"]),
                f"{r['completions_per_s']:.1f}",
                f"{r['p50_ms']:.2f}",
                f"{r['p99_ms']:.2f}",
                "—" if r["ratio_vs_engine"] is None else f"{r['ratio_vs_engine']:.3f}",
            )
            for r in rows
        ],
    )
    document = {
        "benchmark": "api_bench",
        "process": PROCESS_KEY,
        "database": "sqlite",
        "clients": args.clients,
        "gunicorn_workers": args.gunicorn_workers,
        "engine_workers": args.engine_workers,
        "completions_per_round": n,
        "rounds": rounds,
        "history": history,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine("gunicorn", "SQLAlchemy", "flask-smorest", "Flask-Limiter"),
        "results": rows,
    }
    write_report(args.json, document)
    print(f"written {args.json} ({time.monotonic() - began:.1f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
