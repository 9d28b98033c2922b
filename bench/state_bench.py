"""How big is a case's stored state as a complaint goes back to the department again and again?

Every case is opened through the engine (intake, no site visit) and then loops: the department
handles it (resolved), the operator calls back and the customer is not satisfied, so the case goes
back to the department. After 1, 2, 5 and 20 loops the stored state (`process_instance.state`, as
saved) is measured in bytes, with the time one save (serialize) and one load (deserialize) takes.

    python -m bench.state_bench                    # loops 1, 2, 5, 20 on SQLite
    python -m bench.state_bench --loops 1 2 3      # other loop counts

Reported: bytes of the state after each loop count, bytes per loop iteration (the growth from one
loop to the largest count, divided by the loops between), the largest state ÷ the state after one
loop (the aims: ≤ 2 KB per iteration, and 20 loops ≤ 3 × one loop), and the median µs of one
serialization and one deserialization of the largest state.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python bench/state_bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from bench.engine_bench import PROCESS_FILE, START, STEP_TIME, STEPS, ZONE, sqlite_database
from bench.procedures import deploy_procedure
from engine.cases import complete_task, parsed_definition, start_case
from engine.clock import SettableClock
from engine.db import HumanTask, ProcessInstance, make_session_factory, upgrade
from engine.reference import seed_reference_data
from engine.runtime import Runtime

RESULTS_FILE = Path(__file__).resolve().parent / "results" / "state_bench.json"
INTAKE, HANDLING, CALLBACK, CLOSE = STEPS
NOT_SATISFIED = {"customer_informed": "on", "satisfied": "no", "callback_note": "客户仍不满意。"}


def _open_task(session: Any, instance_id: int) -> HumanTask:
    rows = list(
        session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        )
    )
    if len(rows) != 1:
        raise RuntimeError(f"expected one open task, found {[r.element_id for r in rows]}")
    return rows[0]


def measure(loop_counts: list[int], timing_rounds: int = 20) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        database = sqlite_database(directory)
        upgrade(database)
        clock = SettableClock(START)
        engine = Runtime(clock=clock, zone=ZONE)
        factory = make_session_factory(database)
        with factory.begin() as session:
            seed_reference_data(session, clock)
            deploy_procedure(session, engine, PROCESS_FILE)
        with factory.begin() as session:
            instance_id = start_case(session, engine, "complaint", INTAKE.actor, dict(INTAKE.form)).id
        sizes: dict[int, int] = {}
        loops = 0
        while loops < max(loop_counts):
            for step, form in ((HANDLING, HANDLING.form), (CALLBACK, NOT_SATISFIED)):
                clock.advance(STEP_TIME)
                with factory.begin() as session:
                    task = _open_task(session, instance_id)
                    if task.element_id != step.element_id:
                        raise RuntimeError(f"expected {step.element_id}, found {task.element_id}")
                    complete_task(session, engine, task.id, step.actor, dict(form))
            loops += 1
            if loops in loop_counts:
                with factory.begin() as session:
                    sizes[loops] = len(session.get_one(ProcessInstance, instance_id).state.encode("utf-8"))
        # Close it, to show the looped case still runs to its end.
        for step, form in ((HANDLING, HANDLING.form), (CALLBACK, CALLBACK.form), (CLOSE, CLOSE.form)):
            clock.advance(STEP_TIME)
            with factory.begin() as session:
                complete_task(session, engine, _open_task(session, instance_id).id, step.actor, dict(form))
        with factory.begin() as session:
            instance = session.get_one(ProcessInstance, instance_id)
            status = instance.status
            parsed = parsed_definition(engine, instance.definition)
            state = instance.state
        workflow = engine.serializer.loads(state, parsed, engine.script_engine)
        loads_us, dumps_us = [], []
        for _ in range(timing_rounds):
            t0 = time.perf_counter()
            workflow = engine.serializer.loads(state, parsed, engine.script_engine)
            t1 = time.perf_counter()
            engine.serializer.dumps(workflow)
            t2 = time.perf_counter()
            loads_us.append((t1 - t0) * 1e6)
            dumps_us.append((t2 - t1) * 1e6)
        database.dispose()
    first, last = min(sizes), max(sizes)
    return {
        "bytes_after_loops": sizes,
        "bytes_per_loop": (sizes[last] - sizes[first]) / (last - first) if last > first else 0.0,
        "largest_over_one_loop": sizes[last] / sizes[first],
        "closed_state_bytes": len(state.encode("utf-8")),
        "closed_status": status,
        "loads_us_median": statistics.median(loads_us),
        "dumps_us_median": statistics.median(dumps_us),
    }


def print_table(result: dict[str, Any], out: Any = sys.stdout) -> None:
    print(f"{'loops':>6} {'state bytes':>12}", file=out)
    for loops, size in sorted(result["bytes_after_loops"].items()):
        print(f"{loops:>6} {size:>12,}", file=out)
    print(f"bytes per loop iteration: {result['bytes_per_loop']:,.0f}", file=out)
    print(f"largest ÷ after one loop: {result['largest_over_one_loop']:.2f}", file=out)
    print(f"closed case: {result['closed_status']}, {result['closed_state_bytes']:,} bytes", file=out)
    print(
        f"one save (serialize) {result['dumps_us_median']:,.0f} µs, "
        f"one load (deserialize) {result['loads_us_median']:,.0f} µs (medians, largest state)",
        file=out,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loops", type=int, nargs="+", default=[1, 2, 5, 20])
    parser.add_argument("--json", type=Path, default=RESULTS_FILE)
    args = parser.parse_args(argv)
    loop_counts = sorted(set(args.loops))
    if not loop_counts or loop_counts[0] < 1:
        parser.error("loop counts are 1 or more")
    result = measure(loop_counts)
    print_table(result)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
