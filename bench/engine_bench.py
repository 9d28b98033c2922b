"""How fast do complaint cases run: bare SpiffWorkflow in memory against the persisted engine.

Every case takes the same path through processes/complaint.bpmn: intake (no site visit) →
department handling (resolved) → callback (satisfied) → summary and close. That is four task
completions per case; the first one opens the case (`start_case` with the intake form).

    python -m bench.engine_bench                    # 200 cases: in memory, SQLite (+ PostgreSQL if configured)
    python -m bench.engine_bench --cases 5          # smoke run, a few seconds
    python -m bench.engine_bench --postgres URL     # or set HOTLINE_TEST_DATABASE_URL
    python -m bench.engine_bench --cold-cache       # also: every unit of work deserializes the case
    python -m bench.engine_bench --profile sqlite   # then cProfile one more persisted run
    python -m bench.engine_bench --script-calls 0   # without the table of µs per script call
    python -m bench.engine_bench --durability full normal   # each database at both commit durabilities

After the table, the cost of one script call: a condition and a script that the sandbox runs in
process (the fast path), and a script that needs a sandbox process (engine.bpmn.sandbox.pool).

A "unit" is what one web request does: in memory, find the ready task, fill its data, run it and
the engine steps after it; persisted, one transaction (`with factory.begin()`) around `start_case` or
`complete_task`, commit included. Latencies are per unit; cases/s is cases over the summed unit
time. Looking up the open task's id between units (the task list a person would open) is not timed.
Backends take turns for --repeat rounds and each reports its best round (shared machines are noisy).

From a test: `main(["--cases", "5", "--no-postgres", "--json", str(tmp_path / "r.json")]) == 0`.

The PostgreSQL run DROPS AND RECREATES the schema `public` of the database it is given.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __package__ in (None, ""):  # run as `python bench/engine_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine as DatabaseEngine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bench.databases import fresh_schema
from bench.procedures import decisions_from_files, deploy_procedure
from bench.unit_floor import floor_rows, print_floor
from engine.bpmn import ParsedDefinition, SandboxScriptEngine, parse_definition, validate_form
from engine.cases import complete_task, start_case
from engine.clock import SettableClock
from engine.db import DURABILITY_LEVELS, HumanTask, make_engine, make_session_factory, upgrade
from engine.reference import (
    default_reference_data,
    script_lookups,
    seed_reference_data,
    with_reference_options,
)
from engine.runtime import Actor, Runtime
from engine.runtime.workflow_cache import WorkflowCache
from hotline.boot_heap import freeze_boot_heap

ROOT = Path(__file__).resolve().parent.parent
PROCESS_FILE = ROOT / "processes" / "complaint.bpmn"
RESULTS_FILE = ROOT / "bench" / "results" / "engine_bench.json"
POSTGRES_ENV = "HOTLINE_TEST_DATABASE_URL"
ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the reply deadline is hours away
STEP_TIME = timedelta(seconds=1)
GOAL = 0.5  # persisted cases/s ≥ GOAL × in-memory cases/s

OPERATOR = Actor("bench_operator", frozenset({"operator"}))
HANDLER = Actor("bench_operations", frozenset({"operations"}))


@dataclass(frozen=True)
class Step:
    element_id: str
    actor: Actor
    form: dict[str, str]  # as the browser posts it


STEPS = (
    Step(
        "intake",
        OPERATOR,
        {
            "customer_name": "张伟",
            "customer_phone": "13800001111",
            "address": "金明小区3号楼2单元501",
            "occurred_at": "2026-11-20",
            "description": "室内温度只有14度,已经持续三天,家里有老人。",
            "category": "temperature",
            "department": "operations",
            "needs_site_visit": "",
            "apologised": "on",
            "case_source": "hotline",
            "upstream_reference": "",
            "upstream_deadline": "",
        },
    ),
    Step(
        "department_handling",
        HANDLER,
        {
            "investigation": "换热站二次网循环泵故障,已更换。",
            "outcome": "resolved",
            "result": "已修复,室温恢复到20度以上,已电话答复客户。",
            "extension_reason": "",
        },
    ),
    Step(
        "callback",
        OPERATOR,
        {"customer_informed": "on", "satisfied": "yes", "callback_note": "客户表示满意。"},
    ),
    Step(
        "summarise_and_close",
        OPERATOR,
        {
            "root_cause": "循环泵老化",
            "improvement": "入冬前巡检循环泵",
            "close_reason": "resolved",
        },
    ),
)
UNITS_PER_CASE = len(STEPS)


@dataclass
class Run:
    """Timings of one backend: one entry per unit of work, grouped by step."""

    backend: str
    cases: int = 0
    wall_seconds: float = 0.0
    every_cases_per_second: list[float] = field(
        default_factory=list
    )  # of all repeats, when best_of chose this
    by_step: dict[str, list[float]] = field(default_factory=lambda: {s.element_id: [] for s in STEPS})

    def record(self, step: Step, seconds: float) -> None:
        self.by_step[step.element_id].append(seconds)

    @property
    def latencies(self) -> list[float]:
        return [t for times in self.by_step.values() for t in times]

    @property
    def seconds(self) -> float:
        return sum(self.latencies)

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.seconds if self.seconds else 0.0

    def row(self, memory_cases_per_second: float | None) -> dict[str, Any]:
        latencies = self.latencies
        return {
            "backend": self.backend,
            "cases": self.cases,
            "task_completions": len(latencies),
            "seconds": round(self.seconds, 4),
            "wall_seconds": round(self.wall_seconds, 4),
            "cases_per_s": round(self.cases_per_second, 2),
            "task_completions_per_s": round(len(latencies) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": round(percentile(latencies, 50) * 1000, 3),
            "p99_ms": round(percentile(latencies, 99) * 1000, 3),
            "ratio_vs_memory": (
                round(self.cases_per_second / memory_cases_per_second, 3) if memory_cases_per_second else None
            ),
            "p50_ms_by_step": {k: round(percentile(v, 50) * 1000, 3) for k, v in self.by_step.items()},
            "cases_per_s_of_each_repeat": [round(c, 2) for c in self.every_cases_per_second],
        }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 800 values is the 792nd smallest)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


# --- in memory: bare SpiffWorkflow ------------------------------------------------------------


def typed_values(parsed: ParsedDefinition) -> dict[str, dict[str, Any]]:
    """What each form puts into the task data once validated, so both paths carry the same data."""
    typed = {}
    reference = default_reference_data()
    for step in STEPS:
        fields = with_reference_options(parsed.user_tasks[step.element_id].fields, reference)
        values, errors = validate_form(fields, step.form)
        if errors:
            raise SystemExit(f"the benchmark's {step.element_id} form does not validate: {errors}")
        typed[step.element_id] = values
    return typed


def ready_task(workflow: BpmnWorkflow, step: Step) -> Any:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1 or ready[0].task_spec.bpmn_id != step.element_id:
        raise RuntimeError(f"expected '{step.element_id}' to be the one ready task, found {ready}")
    return ready[0]


def run_in_memory(parsed: ParsedDefinition, cases: int, label: str = "in-memory") -> Run:
    clock = SettableClock(START)
    script_engine = SandboxScriptEngine(clock, ZONE, script_lookups())
    data = typed_values(parsed)
    run = Run(label)
    gc.collect()
    began = time.perf_counter()
    with decisions_from_files():  # the routing table, read from its file: no database here
        for _ in range(cases):
            workflow = None
            for step in STEPS:
                clock.advance(STEP_TIME)
                t0 = time.perf_counter()
                if workflow is None:
                    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
                    workflow.do_engine_steps()
                task = ready_task(workflow, step)
                task.data.update(data[step.element_id])
                task.run()
                workflow.do_engine_steps()
                run.record(step, time.perf_counter() - t0)
            if workflow is None or not workflow.is_completed():
                raise RuntimeError("an in-memory case did not complete")
            run.cases += 1
    run.wall_seconds = time.perf_counter() - began
    return run


# --- persisted: the engine's units of work ----------------------------------------------------


@dataclass
class Persisted:
    label: str
    database: DatabaseEngine
    factory: sessionmaker[Session]
    engine: Runtime
    clock: SettableClock


def prepare(label: str, database: DatabaseEngine, cold_cache: bool = False) -> Persisted:
    """Schema by migration, the complaint diagram deployed, an engine on a settable clock.

    Called again on the same database (for the cold-cache engine) both steps find nothing to do.
    """
    upgrade(database)
    clock = SettableClock(START)
    engine = Runtime(clock=clock, zone=ZONE)
    if cold_cache:
        engine.workflows = WorkflowCache(capacity=0)  # nothing kept: every unit deserializes its case
    factory = make_session_factory(database)
    with factory.begin() as session:
        seed_reference_data(session, clock)
        deploy_procedure(session, engine, PROCESS_FILE)
    return Persisted(label, database, factory, engine, clock)


def open_task_id(factory: sessionmaker[Session], instance_id: int, step: Step) -> int:
    with factory.begin() as session:
        rows = session.execute(
            select(HumanTask.id, HumanTask.element_id).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open"
            )
        ).all()
    if len(rows) != 1 or rows[0].element_id != step.element_id:
        raise RuntimeError(
            f"case {instance_id}: expected '{step.element_id}' to be the one open task, found {rows}"
        )
    return rows[0].id


def run_persisted(backend: Persisted, cases: int) -> Run:
    factory, engine = backend.factory, backend.engine
    run = Run(backend.label)
    gc.collect()
    began = time.perf_counter()
    for _ in range(cases):
        instance_id = None
        for step in STEPS:
            backend.clock.advance(STEP_TIME)
            task_id = None if instance_id is None else open_task_id(factory, instance_id, step)
            t0 = time.perf_counter()
            with factory.begin() as session:
                if task_id is None:
                    instance = start_case(session, engine, "complaint", step.actor, dict(step.form))
                else:
                    instance = complete_task(session, engine, task_id, step.actor, dict(step.form))
            run.record(step, time.perf_counter() - t0)
            instance_id = instance.id
        if instance.status != "completed":
            raise RuntimeError(f"case {instance.case_number} did not complete: {instance.status}")
        run.cases += 1
    run.wall_seconds = time.perf_counter() - began
    return run


def sqlite_database(directory: str, durability: str | None = None) -> DatabaseEngine:
    return make_engine(f"sqlite:///{Path(directory) / 'bench.db'}", durability=durability)


def postgres_database(url: str, durability: str | None = None, fresh: bool = True) -> DatabaseEngine:
    if fresh:
        fresh_schema(url)
    return make_engine(url, durability=durability)


# --- the cost of one script call ---------------------------------------------------------------

# (what, mode, source, case data): conditions and scripts of the shipped diagrams, and one that needs a
# sandbox process (a comprehension: the liaison's milestone plan, the outage's affected area).
SCRIPT_CALLS = (
    ("condition, in process", "eval", "satisfied == 'no'", {"satisfied": "yes"}),
    ("script, in process", "exec", "reply_due = end_of_day()\nreopen_count = 0", {}),
    (
        "script, sandbox process",
        "exec",
        'affected_area = " ".join([part for part in (district, building) if part])',
        {"district": "金明区", "building": "3号楼"},
    ),
)


def measure_script_calls(calls: int) -> list[dict[str, Any]]:
    """µs per call of the sandbox: the in-process fast path and a call to a sandbox process (the
    pool's processes are started before timing). Each figure is the best of 3 rounds of `calls`."""
    clock = SettableClock(START)
    environment = SandboxScriptEngine(clock, ZONE, script_lookups()).sandbox
    rows = []
    for what, mode, source, data in SCRIPT_CALLS:
        pooled = mode == "exec" and "join" in source
        count = max(1, calls // 10) if pooled else calls

        def once(source: str = source, data: dict[str, Any] = data, mode: str = mode) -> None:
            context = dict(data)
            if mode == "eval":
                environment.evaluate(source, context)
            else:
                environment.execute(source, context)

        once()  # compiled, and the pool started
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(count):
                once()
            best = min(best, (time.perf_counter() - t0) / count)
        rows.append({"what": what, "calls": count, "us_per_call": round(best * 1e6, 1)})
    return rows


# --- the run ----------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]], out: Any = sys.stdout) -> None:
    header = ("backend", "cases", "cases/s", "tasks/s", "p50 ms", "p99 ms", "× in-memory")
    table = [header] + [
        (
            r["backend"],
            str(r["cases"]),
            f"{r['cases_per_s']:.1f}",
            f"{r['task_completions_per_s']:.1f}",
            f"{r['p50_ms']:.2f}",
            f"{r['p99_ms']:.2f}",
            "—" if r["ratio_vs_memory"] is None else f"{r['ratio_vs_memory']:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells), file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


def profile(what: Callable[[], Run], out_file: Path, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    run = what()
    profiler.disable()
    out_file.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(out_file)
    text_out = io.StringIO()
    print(
        f"profile of {run.cases} cases on {run.backend} ({run.wall_seconds:.2f} s under cProfile), "
        f"saved to {out_file}",
        file=text_out,
    )
    stats = pstats.Stats(profiler, stream=text_out).strip_dirs()
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return text_out.getvalue()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--cases", type=int, default=200, help="cases per backend (default 200; 5 for a smoke run)"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="timed rounds; each backend's best round is reported (default 3)",
    )
    parser.add_argument(
        "--warmup", type=int, default=None, help="untimed cases first (default: min(20, cases))"
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get(POSTGRES_ENV) or None,
        help=f"PostgreSQL URL (default ${POSTGRES_ENV}); its schema public is dropped",
    )
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even if configured")
    parser.add_argument(
        "--cold-cache",
        action="store_true",
        help="add runs without the workflow cache (as when requests land on different processes)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="sqlite",
        choices=("memory", "sqlite", "postgresql"),
        help="after the table, run that backend once more under cProfile (default sqlite)",
    )
    parser.add_argument(
        "--durability",
        nargs="+",
        choices=DURABILITY_LEVELS,
        help="commit durability of the databases (HOTLINE_DURABILITY); several: a run of each database "
        "at each, labelled with it (default: each database's usual one)",
    )
    parser.add_argument(
        "--floor",
        action="store_true",
        help="after the table, the floor: µs per unit of serialization and of the bare driver's writes "
        "against the in-memory unit (bench/unit_floor.py)",
    )
    parser.add_argument("--top", type=int, default=30, help="lines of profile to print (default 30)")
    parser.add_argument(
        "--script-calls",
        type=int,
        default=5000,
        help="calls per figure of the script cost table (a tenth of them to a sandbox process; "
        "0 skips it; default 5000)",
    )
    parser.add_argument(
        "--json", type=Path, default=RESULTS_FILE, help=f"where to write results (default {RESULTS_FILE})"
    )
    args = parser.parse_args(argv)
    if args.cases < 1 or args.repeat < 1:
        parser.error("--cases and --repeat must be at least 1")
    if args.warmup is None:
        args.warmup = min(20, args.cases)
    if args.profile == "postgresql" and (args.no_postgres or not args.postgres):
        parser.error("--profile postgresql needs --postgres URL or $" + POSTGRES_ENV)
    return args


Measure = Callable[[int], Run]  # runs that many cases on one backend


def measure_all(measures: dict[str, Measure], cases: int, warmup: int, repeat: int) -> list[Run]:
    """Warm every backend up, then take turns: round after round, each backend runs `cases` cases.

    What the process built until then is frozen, as a web process or a worker does after booting.
    Taking turns spreads a slow patch of a shared machine over all backends instead of one; the
    best round of each backend is kept (see best_of).
    """
    for measure in measures.values():
        measure(warmup)
    freeze_boot_heap()  # as a served process does once it has booted (hotline.boot_heap)
    rounds: dict[str, list[Run]] = {label: [] for label in measures}
    for _ in range(repeat):
        for label, measure in measures.items():
            rounds[label].append(measure(cases))
    return [best_of(runs) for runs in rounds.values()]


def best_of(runs: list[Run]) -> Run:
    """The fastest run: on a shared machine the slower ones mostly measure the neighbours."""
    best = max(runs, key=lambda run: run.cases_per_second)
    best.every_cases_per_second = [run.cases_per_second for run in runs]
    return best


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    parsed = parse_definition(PROCESS_FILE.read_bytes(), str(PROCESS_FILE))
    postgres = None if args.no_postgres else args.postgres
    measures: dict[str, Measure] = {"in-memory": partial(run_in_memory, parsed)}
    persisted: dict[str, Persisted] = {}
    databases: list[DatabaseEngine] = []
    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as tmp:
        try:
            names = []
            for n, level in enumerate(args.durability or [None]):
                suffix = f" [{level}]" if level else ""
                names.append((f"sqlite{suffix}", partial(sqlite_database, tmp, level)))
                if postgres:  # one schema, made fresh once: every level's engine works in it
                    names.append((f"postgresql{suffix}", partial(postgres_database, postgres, level, n == 0)))
            for name, make_database in names:
                database = make_database()
                databases.append(database)
                persisted[name] = prepare(name, database)
                if args.cold_cache:
                    persisted[f"{name} (cold cache)"] = prepare(
                        f"{name} (cold cache)", database, cold_cache=True
                    )
            measures.update({label: partial(run_persisted, backend) for label, backend in persisted.items()})

            runs = measure_all(measures, args.cases, args.warmup, args.repeat)
            memory = runs[0].cases_per_second
            rows = [run.row(memory if run is not runs[0] else None) for run in runs]
            print(
                f"complaint.bpmn: {args.cases} cases × {UNITS_PER_CASE} task completions, best of {args.repeat} "
                f"rounds after {args.warmup} warm-up cases; goal: persisted ≥ {GOAL} × in-memory cases/s"
            )
            print_table(rows)
            if not postgres:
                print(f"(PostgreSQL skipped: pass --postgres URL or set {POSTGRES_ENV})")
            script_rows = measure_script_calls(args.script_calls) if args.script_calls > 0 else []
            for row in script_rows:
                print(f"script call: {row['what']:<26} {row['us_per_call']:>9.1f} µs  ({row['calls']} calls)")
            floor = []
            if args.floor:
                steps = [(s.element_id, v) for s, v in zip(STEPS, typed_values(parsed).values(), strict=True)]
                script_engine = SandboxScriptEngine(SettableClock(START), ZONE, script_lookups())
                floor = floor_rows(parsed, script_engine, steps, Path(tmp), postgres)
                print_floor(floor)
            write_json(args, rows, script_rows, floor)

            if args.profile:
                prof_file = args.json.parent / f"engine_bench_{args.profile}.prof"
                label = "in-memory" if args.profile == "memory" else args.profile
                what = measures[next(name for name in measures if name.startswith(label))]
                print(profile(partial(what, args.cases), prof_file, args.top))
        finally:
            for database in databases:
                database.dispose()
    return 0


def write_json(
    args: argparse.Namespace,
    rows: list[dict[str, Any]],
    script_rows: list[dict[str, Any]],
    floor: list[dict[str, Any]],
) -> None:
    document = {
        "benchmark": "engine_bench",
        "process": PROCESS_FILE.name,
        "path": [s.element_id for s in STEPS],
        "cases": args.cases,
        "warmup_cases": args.warmup,
        "repeat": args.repeat,
        "goal_ratio": GOAL,
        "durability": args.durability or "each database's usual (SQLite normal, PostgreSQL full)",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "SpiffWorkflow": package_version("SpiffWorkflow"),
            "SQLAlchemy": package_version("SQLAlchemy"),
        },
        "results": rows,
        "script_calls": script_rows,
        "floor": floor,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.json}")


if __name__ == "__main__":
    raise SystemExit(main())
