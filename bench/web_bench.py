"""Task completions per second through HTTP (gunicorn, two workers) against the same completions called
directly through the engine's use case, in the same run, on one SQLite database.

Setup, not timed: a SQLite file in a temporary home with the schema, the reference data and the
one-task process of bench/one_task.py deployed (start → a user task with a form of four fields → end),
one operator account per client thread, and enough cases opened through the engine that every
completion below has its own open task.

- **engine**: `--engine-workers` spawned processes (default 2, like gunicorn's workers), each with its
  own connection pool, complete their share of the tasks with `engine.work.complete_task` in a
  `UnitOfWork` of their own, as the web view does (without Flask).
- **http**: gunicorn on the shipped configuration (`--server shipped`, the default: hotline/gunicorn_conf.py
  as `hotline serve --production` runs it — gthread workers of 4 threads, JSON request log, metrics
  shared by the processes — with `--gunicorn-workers` processes) or `gunicorn -w 2` with sync workers
  (`--server sync`, closing each connection), on a loopback port, on the same database. Each of
  `--clients` threads signs in through the real sign-in form (GET /login for the CSRF token, POST
  the username and password), opens one task page (its form, and the CSRF token of the session), then
  POSTs the task form `/tasks/<id>` for each of its tasks, as the browser does, on one connection kept
  open where the server keeps it (answer: 302 to the tasklist, which is not fetched; the flash message
  it would show is dropped with the cookie it rides in). Each gunicorn worker has its own engine,
  workflow cache and sandbox pool, started when the worker boots; warm-up completions run before the
  first round.

The two take turns for --rounds rounds; a round's completions/s is its completions over the time from
the first to the last; the median round of each is reported and every round is in the JSON. The
issue's aim: http ≥ 0.6 × engine. The client threads run in this process, on the same 2 cores as the
server (as the engine workers do not): part of what HTTP costs here is the client's.

    python -m bench.web_bench                      # 4 clients, 150 completions a round, 3 rounds
    python -m bench.web_bench --completions 10 --rounds 1 --warmup 2   # smoke run
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import multiprocessing
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

if __package__ in (None, ""):  # run as `python bench/web_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.one_task import (
    FORM,
    GROUP,
    PASSWORD,
    PROCESS_KEY,
    Persisted,
    Round,
    Timing,
    history_per_case,
    machine,
    median_round,
    monotonic,
    ms,
    open_cases,
    prepare_database,
    print_table,
    spread,
    write_report,
)
from engine.clock import SystemClock
from engine.db import make_engine, make_session_factory
from engine.people import create_user
from webforms.i18n import compile_catalogs

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = ROOT / "bench" / "results" / "web_bench.json"
GOAL = 0.6  # http completions/s ≥ GOAL × engine completions/s
# gunicorn closes a kept connection after 2 s without a request (its `keepalive`): one idle longer
# than this is not reused, so that no post is sent on a connection the server is closing.
IDLE_REUSE_SECONDS = 1.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# --- engine level ---------------------------------------------------------------------------------


def engine_worker(barrier: Any, results: Any, url: str, warmup: list[int], rounds: list[list[int]]) -> None:
    """Complete `warmup` untimed, then each round's tasks once the main process joins the barrier."""
    try:
        persisted = Persisted(url)
        for task_id in warmup:
            persisted.complete(task_id)
        for number, task_ids in enumerate(rounds):
            barrier.wait()
            timing = Timing(monotonic(), 0.0, {"complete": []})
            cpu = time.process_time()
            for task_id in task_ids:
                t0 = monotonic()
                persisted.complete(task_id)
                timing.units["complete"].append(monotonic() - t0)
            timing.ended = monotonic()
            timing.cpu = time.process_time() - cpu
            results.put((number, timing))
        persisted.close()
    except Exception:
        results.put(traceback.format_exc())
        barrier.abort()


class EngineWorkers:
    """Worker processes that run one round each time `run_round` is called."""

    def __init__(
        self, url: str, workers: int, warmup: list[list[int]], rounds: list[list[list[int]]]
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.barrier = context.Barrier(workers + 1)
        self.results = context.Queue()
        self.workers = workers
        self.processes = [
            context.Process(
                target=engine_worker,
                args=(self.barrier, self.results, url, warmup[i], [r[i] for r in rounds]),
                daemon=True,
            )
            for i in range(workers)
        ]
        for process in self.processes:
            process.start()

    def run_round(self) -> list[Timing]:
        self.barrier.wait(timeout=300)
        timings = []
        for _ in range(self.workers):
            item = self.results.get(timeout=600)
            if isinstance(item, str):
                raise RuntimeError(f"an engine worker failed:\n{item}")
            timings.append(item[1])
        return timings

    def close(self) -> None:
        for process in self.processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()


# --- through HTTP ---------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Client:
    """One person in a browser: signed in through the sign-in form, then posting task forms."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.address = urllib.parse.urlsplit(base)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())
        page = self.fetch("/login")
        self.fetch("/login", {"username": username, "password": PASSWORD, "csrf_token": token_in(page)}, 302)
        self.cookie = ""
        self.token = ""
        self.connection = http.client.HTTPConnection(self.address.hostname, self.address.port, timeout=60)
        self.used = 0.0

    def fetch(self, path: str, form: dict[str, str] | None = None, expect: int = 200) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data, timeout=60) as response:
                status, body = response.status, str(response.read().decode())
        except urllib.error.HTTPError as answer:
            status, body = answer.code, answer.read().decode(errors="replace")
        if status != expect:
            raise RuntimeError(f"{'POST' if form is not None else 'GET'} {path}: {status}, expected {expect}")
        return body

    def open_form(self, task_id: int) -> None:
        """The task page as the browser shows it: its form has the benchmark's fields; the session's
        CSRF token and cookie are kept for the posts."""
        page = self.fetch(f"/tasks/{task_id}")
        missing = [name for name in FORM if f'name="{name}"' not in page]
        if missing:
            raise RuntimeError(f"the task page has no fields {missing}")
        self.token = token_in(page)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def complete(self, task_id: int) -> None:
        """POST the task form with the session's cookie (not updated: the answer's cookie carries only
        the flash message that the tasklist, not fetched here, would show). Through http.client on one
        connection, kept open between posts as a browser keeps it where the server does (gthread);
        http.client opens a new one after an answer that closed it (sync workers close each one).
        urllib's opener, built for every request, cost the client threads (on the server's cores) some
        0.6–0.8 ms of CPU per completion more."""
        body = urllib.parse.urlencode({**FORM, "csrf_token": self.token})
        headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
        if monotonic() - self.used > IDLE_REUSE_SECONDS:
            self.connection.close()  # the server may be closing it now: http.client opens another
        try:
            self.connection.request("POST", f"/tasks/{task_id}", body, headers)
            answer = self.connection.getresponse()
            status, location, content = answer.status, answer.getheader("Location") or "", answer.read()
        except Exception:
            self.connection.close()
            raise
        self.used = monotonic()
        if status == 302 and "/login" in location:
            raise RuntimeError(f"POST /tasks/{task_id}: sent to sign in again")
        if status != 302:
            raise RuntimeError(f"POST /tasks/{task_id}: {status}, expected 302: {content[:500]!r}")

    def close(self) -> None:
        self.connection.close()


def token_in(page: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise RuntimeError("no CSRF token in the page")
    return found.group(1)


def cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds used so far by the process and its children that are alive (gunicorn's
    master and workers), from /proc; None where there is no /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    for process in [pid, *map(int, children)]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


class Completer(Protocol):
    """A client that completes a task: a person through the task form, or a program through the API."""

    def complete(self, task_id: int) -> None: ...


def http_round(
    clients: Sequence[Completer], task_ids: list[list[int]], server_pid: int | None = None
) -> list[Timing]:
    """Each client completes its tasks from a thread of its own; all start together. With the server's
    pid, the first timing's `cpu` is what the server's processes spent in the round (the others' 0)."""
    server_cpu = cpu_seconds_of(server_pid) if server_pid is not None else None
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
    done = [t for t in timings if t is not None]
    after = cpu_seconds_of(server_pid) if server_pid is not None else None
    if server_cpu is not None and after is not None and done:
        done[0].cpu = after - server_cpu
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


SERVERS = ("shipped", "sync")


def gunicorn_command(server: str, port: int, workers: int) -> list[str]:
    """`shipped`: the configuration `hotline serve --production` runs (hotline/gunicorn_conf.py: gthread
    workers, JSON request log, metrics shared by the processes); `sync`: gunicorn's default sync workers,
    warnings only."""
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    if server == "shipped":
        command += ["--config", "python:hotline.gunicorn_conf"]
    else:
        command += ["--log-level", "warning"]
    return [*command, "hotline.web:web_app()"]


def start_gunicorn(
    home: Path,
    url: str,
    port: int,
    workers: int,
    settings: dict[str, str] | None = None,
    server: str = "shipped",
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn serving the app on 127.0.0.1:port, once it answers; the server and its base URL.
    `settings`: more HOTLINE_* variables for the server. Its log goes to `home`/gunicorn.log (the
    shipped configuration logs a line per request, as it does in production)."""
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "HOTLINE_DATABASE_URL": url,
        "HOTLINE_HOME": str(home),
        "HOTLINE_SECRET_KEY": "web-bench",
        "HOTLINE_PROCESSES": str(ROOT / "processes"),
        **(settings or {}),
    }
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the shipped configuration's, in this home
    # Compiled once here: gunicorn's workers boot at the same time and each would compile the
    # catalogs into the same file of an empty home (webforms.i18n.compile_catalogs), racing.
    compile_catalogs(home / "translations")
    log = home / "gunicorn.log"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            gunicorn_command(server, port, workers), cwd=ROOT, env=environment, stderr=log_file
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
                if response.status == 200:
                    return process, f"http://127.0.0.1:{port}"
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"gunicorn did not answer on /login; its log ends:\n{tail}")
        time.sleep(0.2)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: the rounds are over
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- the run --------------------------------------------------------------------------------------


def split(items: list[int], parts: int) -> list[list[int]]:
    return [items[i::parts] for i in range(parts)]


def parse_args(
    argv: list[str] | None,
    prog: str = "python -m bench.web_bench",
    description: str = __doc__,
    clients: str = "HTTP client threads",
    results_file: Path = RESULTS_FILE,
    warmup_why: str = " (a client opens its first task's form)",
) -> argparse.Namespace:
    """The arguments of a benchmark of completions through gunicorn against the engine (this one's and
    bench/api_bench.py's): `clients` names its client threads, `warmup_why` says why one warm-up is needed."""
    parser = argparse.ArgumentParser(prog=prog, description=description.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=4, help=f"{clients} (default 4)")
    parser.add_argument("--gunicorn-workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--engine-workers", type=int, default=2, help="engine-level processes (default 2)")
    parser.add_argument(
        "--completions", type=int, default=150, help="task completions per round and side (default 150)"
    )
    parser.add_argument(
        "--server",
        choices=SERVERS,
        default="shipped",
        help="gunicorn on the shipped configuration (gthread, default) or with sync workers",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds per side; the median is reported")
    parser.add_argument(
        "--warmup", type=int, default=10, help="untimed completions per client and engine worker first"
    )
    parser.add_argument(
        "--json", type=Path, default=results_file, help=f"where to write results (default {results_file})"
    )
    args = parser.parse_args(argv)
    if min(args.clients, args.gunicorn_workers, args.engine_workers, args.completions, args.rounds) < 1:
        parser.error("--clients, the workers, --completions and --rounds must be at least 1")
    if args.warmup < 1:
        parser.error(f"--warmup must be at least 1{warmup_why}")
    return args


@dataclass
class Plan:
    """The open tasks of a run, shared out: each engine worker's and each client's warm-up, then each
    round's tasks of each engine worker and of each client."""

    cases: int
    engine_warmup: list[list[int]]
    client_warmup: list[list[int]]
    engine_rounds: list[list[list[int]]]
    client_rounds: list[list[list[int]]]


def plan_tasks(url: str, args: argparse.Namespace) -> Plan:
    """Opens a case for every completion of the run (warm-ups included) and shares their tasks out."""
    n, rounds = args.completions, args.rounds
    engine_warmup = args.warmup * args.engine_workers
    client_warmup = args.warmup * args.clients
    cases = engine_warmup + client_warmup + 2 * n * rounds
    tasks = open_cases(url, cases)
    engine_tasks, tasks = tasks[:engine_warmup], tasks[engine_warmup:]
    client_tasks, tasks = tasks[:client_warmup], tasks[client_warmup:]
    engine_rounds = [split(tasks[r * n : (r + 1) * n], args.engine_workers) for r in range(rounds)]
    tasks = tasks[n * rounds :]
    client_rounds = [split(tasks[r * n : (r + 1) * n], args.clients) for r in range(rounds)]
    return Plan(
        cases,
        split(engine_tasks, args.engine_workers),
        split(client_tasks, args.clients),
        engine_rounds,
        client_rounds,
    )


def cpu_ms_per_completion(rounds: list[Round]) -> float:
    """CPU the side's processes spent per completion over all its rounds (load inflates it far less
    than it inflates wall time)."""
    return round(1000 * sum(r.cpu for r in rounds) / sum(r.items for r in rounds), 2)


def row(
    side: str, rounds: list[Round], engine: list[Round] | None, parallel: str, client_cpu: float = 0.0
) -> dict[str, Any]:
    middle = median_round(rounds)
    latencies = middle.latencies("complete")
    cpu = cpu_ms_per_completion(rounds)
    engine_cpu = cpu_ms_per_completion(engine) if engine else None
    return {
        "side": side,
        "parallel": parallel,
        "completions": middle.items,
        "seconds": round(middle.seconds, 3),
        "completions_per_s": round(middle.per_second, 1),
        "p50_ms": ms(latencies, 50),
        "p99_ms": ms(latencies, 99),
        "ratio_vs_engine": round(middle.per_second / median_round(engine).per_second, 3) if engine else None,
        "completions_per_s_of_each_round": spread(rounds),
        "cpu_ms_per_completion": cpu,
        "client_cpu_ms_per_completion": round(1000 * client_cpu / sum(r.items for r in rounds), 2),
        "cpu_ratio_vs_engine": round(engine_cpu / cpu, 3) if engine_cpu and cpu else None,
    }


def print_rows(rows: list[dict[str, Any]], cpu: bool = True) -> None:
    """The rows of `row` as a table; with `cpu`, the CPU spent per completion too."""
    heads: tuple[str, ...] = (
        "side",
        "parallel",
        "completions",
        "completions/s",
        "p50 ms",
        "p99 ms",
        "× engine",
    )
    if cpu:
        heads += ("CPU ms", "client CPU ms", "× engine (CPU)")
    cells = []
    for r in rows:
        cell: tuple[str, ...] = (
            r["side"],
            r["parallel"],
            str(r["completions"]),
            f"{r['completions_per_s']:.1f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            "—" if r["ratio_vs_engine"] is None else f"{r['ratio_vs_engine']:.3f}",
        )
        if cpu:
            cell += (
                f"{r['cpu_ms_per_completion']:.2f}",
                f"{r['client_cpu_ms_per_completion']:.2f}" if r["side"] != "engine" else "—",
                "—" if r["cpu_ratio_vs_engine"] is None else f"{r['cpu_ratio_vs_engine']:.3f}",
            )
        cells.append(cell)
    print_table(heads, cells)


def run_document(
    benchmark: str,
    args: argparse.Namespace,
    history: dict[str, float],
    rows: list[dict[str, Any]],
    machine: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """What a run writes to its JSON file; `extra`: what only this benchmark reports."""
    return {
        "benchmark": benchmark,
        "process": PROCESS_KEY,
        "database": "sqlite",
        "clients": args.clients,
        "gunicorn_workers": args.gunicorn_workers,
        "engine_workers": args.engine_workers,
        "completions_per_round": args.completions,
        "rounds": args.rounds,
        "server": args.server,
        **extra,
        "history": history,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "results": rows,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n, rounds = args.completions, args.rounds
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hotline-web-bench-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'web_bench.db'}"
        prepare_database(url)
        usernames = [f"bench_client_{i}" for i in range(args.clients)]
        database = make_engine(url)
        with make_session_factory(database).begin() as session:
            for username in usernames:
                create_user(session, SystemClock(), username, PASSWORD, username, [GROUP])
        database.dispose()
        plan = plan_tasks(url, args)
        workers = EngineWorkers(url, args.engine_workers, plan.engine_warmup, plan.engine_rounds)
        prepared = time.monotonic()
        server, base = start_gunicorn(home, url, free_port(), args.gunicorn_workers, server=args.server)
        print(
            f"set up in {prepared - began:.1f} s (schema, {len(usernames)} accounts, "
            f"{plan.cases} cases); gunicorn up in {time.monotonic() - prepared:.1f} s"
        )
        clients: list[Client] = []
        try:
            clients += [Client(base, username) for username in usernames]
            for client, warmup in zip(clients, plan.client_warmup, strict=True):
                client.open_form(warmup[0])
            http_round(clients, plan.client_warmup)
            by_side: dict[str, list[Round]] = {"engine": [], "http": []}
            clients_cpu: list[float] = []
            for r in range(rounds):
                by_side["engine"].append(Round("engine", workers.run_round(), n))
                client_cpu = time.process_time()
                by_side["http"].append(
                    Round("http", http_round(clients, plan.client_rounds[r], server.pid), n)
                )
                clients_cpu.append(time.process_time() - client_cpu)
        finally:
            for client in clients:
                client.close()
            stop(server)
            workers.close()
        history = history_per_case(url)
    if history["completed"] != history["cases"]:
        raise RuntimeError(f"not every case completed: {history}")
    rows = [
        row("engine", by_side["engine"], None, f"{args.engine_workers} processes"),
        row(
            "http",
            by_side["http"],
            by_side["engine"],
            f"gunicorn {args.server} -w {args.gunicorn_workers}, {args.clients} clients",
            sum(clients_cpu),
        ),
    ]
    print(
        f"{PROCESS_KEY}: task completions (a form of 4 fields), {n} a round, median of {rounds} rounds, "
        f"SQLite; goal: http ≥ {GOAL} × engine; server: {args.server}"
    )
    print_rows(rows)
    document = run_document(
        "web_bench", args, history, rows, machine("gunicorn", "SQLAlchemy"), goal_ratio=GOAL
    )
    write_report(args.json, document)
    print(f"written {args.json} ({time.monotonic() - began:.1f} s in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
