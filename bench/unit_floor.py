"""The floor under a persisted unit of work: what serialization and the database alone cost per unit,
against the in-memory unit (engine_bench --floor).

Per unit of the complaint path, medians in µs:
- `in-memory unit`: bare SpiffWorkflow (find the ready task, fill its data, run it and the engine steps);
- `dumps`: `StateSerializer.dumps` of the workflow after the unit (compaction + SpiffWorkflow's dict + JSON);
- `loads`: `StateSerializer.loads` of that state (what a unit pays on a cache miss);
- `write transaction`: the writes of a completion sent through the bare driver, no SQLAlchemy: BEGIN,
  the case's state and summary updated under its version, the old task row closed, the next one
  inserted with its group, three history rows, COMMIT — in tables of the same shape made for it.

`floor ratio` = in-memory ÷ (in-memory + dumps + write transaction): the best persisted ÷ in-memory any
engine could reach that serializes the state once per unit and commits once, with zero cost of its
own between the two (no ORM, no statement building, no projections computed).
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow

from bench.procedures import decisions_from_files
from engine.bpmn import ParsedDefinition, SandboxScriptEngine, StateSerializer

_TABLES = (
    "CREATE TABLE floor_case (id INTEGER PRIMARY KEY, version INTEGER, state TEXT, data TEXT,"
    " summary TEXT, updated_at TEXT)",
    "CREATE TABLE floor_task (id INTEGER PRIMARY KEY, case_id INTEGER, guid TEXT, status TEXT,"
    " created_at TEXT, completed_at TEXT, completed_by TEXT)",
    "CREATE TABLE floor_task_group (task_id INTEGER, group_name TEXT)",
    "CREATE TABLE floor_event (id INTEGER PRIMARY KEY, case_id INTEGER, at TEXT, actor TEXT, kind TEXT,"
    " changes TEXT)",
)


def _median_us(action: Callable[[], object], times: int) -> float:
    samples = []
    for _ in range(times):
        t0 = time.perf_counter()
        action()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e6


def workflows_after_each_unit(
    parsed: ParsedDefinition, script_engine: SandboxScriptEngine, steps: list[tuple[str, dict[str, Any]]]
) -> tuple[list[BpmnWorkflow], float]:
    """One case run in memory; a copy of its workflow after each unit and the mean µs of a unit."""
    serializer = StateSerializer()
    snapshots, spent = [], 0.0
    workflow = None
    for element_id, values in steps:
        t0 = time.perf_counter()
        if workflow is None:
            workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=script_engine)
            workflow.do_engine_steps()
        (task,) = [
            t for t in workflow.get_tasks(manual=True) if t.task_spec.bpmn_id == element_id and t.state == 16
        ]
        task.data.update(values)
        task.run()
        workflow.do_engine_steps()
        spent += time.perf_counter() - t0
        snapshots.append(serializer.loads(serializer.dumps(workflow), parsed, script_engine))
    return snapshots, spent / len(steps) * 1e6


def serialization_us(
    workflows: list[BpmnWorkflow], parsed: ParsedDefinition, script_engine: SandboxScriptEngine, times: int
) -> tuple[float, float, list[str]]:
    serializer = StateSerializer()
    states = [serializer.dumps(w) for w in workflows]
    dumps = statistics.mean(_median_us(lambda w=w: serializer.dumps(w), times) for w in workflows)
    loads = statistics.mean(
        _median_us(lambda s=s: serializer.loads(s, parsed, script_engine), times) for s in states
    )
    return dumps, loads, states


def sqlite_write_us(path: Path, states: list[str], data: dict[str, Any], times: int) -> float:
    """A completion's writes through sqlite3 itself, WAL and synchronous=NORMAL as the engine sets them."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    for statement in _TABLES:
        connection.execute(statement)
    connection.execute("INSERT INTO floor_case VALUES (1, 0, '', '{}', '', '')")
    text = json.dumps(data, ensure_ascii=False)
    counter = {"version": 0, "task": 0}

    def unit() -> None:
        version = counter["version"]
        state = states[version % len(states)]
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "UPDATE floor_case SET version = ?, state = ?, data = ?, summary = ?, updated_at = ?"
            " WHERE id = 1 AND version = ?",
            (version + 1, state, text, "summary", "2026-11-23", version),
        )
        connection.execute(
            "UPDATE floor_task SET status = 'completed', completed_at = ?, completed_by = ? WHERE id = ?",
            ("2026-11-23", "someone", counter["task"]),
        )
        task_id = connection.execute(
            "INSERT INTO floor_task (case_id, guid, status, created_at) VALUES (1, ?, 'open', ?) RETURNING id",
            (f"guid-{version}", "2026-11-23"),
        ).fetchone()[0]
        connection.execute("INSERT INTO floor_task_group VALUES (?, 'operations')", (task_id,))
        connection.executemany(
            "INSERT INTO floor_event (case_id, at, actor, kind, changes) VALUES (1, ?, ?, ?, ?)",
            [
                ("2026-11-23", "someone", kind, text)
                for kind in ("task_completed", "script_ran", "task_created")
            ],
        )
        connection.execute("COMMIT")
        counter["version"], counter["task"] = version + 1, task_id

    try:
        return _median_us(unit, times)
    finally:
        connection.close()


def postgres_write_us(
    url: str, states: list[str], data: dict[str, Any], times: int, durability: str
) -> float:
    """The same writes through psycopg itself, at the commit durability given (engine.db.make_engine)."""
    import psycopg
    from sqlalchemy.engine import make_url

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as connection:
        synchronous = "off" if durability == "normal" else "on"
        connection.execute(f"SET synchronous_commit = {synchronous}")
        for table in ("floor_event", "floor_task_group", "floor_task", "floor_case"):
            connection.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _TABLES:
            connection.execute(statement.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        connection.execute("INSERT INTO floor_case VALUES (1, 0, '', '{}', '', '')")
        text = json.dumps(data, ensure_ascii=False)
        counter = {"version": 0, "task": 0}

        def unit() -> None:
            version = counter["version"]
            with connection.transaction():
                connection.execute(
                    "UPDATE floor_case SET version = %s, state = %s, data = %s, summary = %s, updated_at = %s"
                    " WHERE id = 1 AND version = %s",
                    (version + 1, states[version % len(states)], text, "summary", "2026-11-23", version),
                )
                connection.execute(
                    "UPDATE floor_task SET status = 'completed', completed_at = %s, completed_by = %s"
                    " WHERE id = %s",
                    ("2026-11-23", "someone", counter["task"]),
                )
                row = connection.execute(
                    "INSERT INTO floor_task (case_id, guid, status, created_at) VALUES (1, %s, 'open', %s)"
                    " RETURNING id",
                    (f"guid-{version}", "2026-11-23"),
                ).fetchone()
                task_id = row[0] if row else 0
                connection.execute("INSERT INTO floor_task_group VALUES (%s, 'operations')", (task_id,))
                with connection.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO floor_event (case_id, at, actor, kind, changes) VALUES (1, %s, %s, %s, %s)",
                        [
                            ("2026-11-23", "someone", k, text)
                            for k in ("task_completed", "script_ran", "task_created")
                        ],
                    )
            counter["version"], counter["task"] = version + 1, task_id

        try:
            return _median_us(unit, times)
        finally:
            for table in ("floor_event", "floor_task_group", "floor_task", "floor_case"):
                connection.execute(f"DROP TABLE IF EXISTS {table}")


def floor_rows(
    parsed: ParsedDefinition,
    script_engine: SandboxScriptEngine,
    steps: list[tuple[str, dict[str, Any]]],
    directory: Path,
    postgres: str | None,
    times: int = 200,
) -> list[dict[str, Any]]:
    """The floor per database (and durability on PostgreSQL), in µs per unit."""
    # The complaint routes by a decision table: read from its file, as the in-memory baseline does.
    with decisions_from_files():
        in_memory = statistics.median(
            workflows_after_each_unit(parsed, script_engine, steps)[1] for _ in range(30)
        )
        workflows, _ = workflows_after_each_unit(parsed, script_engine, steps)
    dumps, loads, states = serialization_us(workflows, parsed, script_engine, times)
    data: dict[str, Any] = {}
    for _, values in steps:
        data.update(values)
    writes = {"sqlite [normal]": sqlite_write_us(directory / "floor.db", states, data, times)}
    if postgres:
        for level in ("full", "normal"):
            writes[f"postgresql [{level}]"] = postgres_write_us(postgres, states, data, times, level)
    rows = []
    for database, write in writes.items():
        rows.append(
            {
                "database": database,
                "in_memory_unit_us": round(in_memory, 1),
                "dumps_us": round(dumps, 1),
                "loads_us": round(loads, 1),
                "write_transaction_us": round(write, 1),
                "floor_ratio": round(in_memory / (in_memory + dumps + write), 3),
                "floor_ratio_cold": round(in_memory / (in_memory + dumps + loads + write), 3),
            }
        )
    return rows


def print_floor(rows: list[dict[str, Any]]) -> None:
    print(
        "floor per unit (µs, medians): serialization and the bare driver's writes against the in-memory unit"
    )
    print(
        f"{'database':<20} {'in-memory':>9} {'dumps':>7} {'loads':>7} {'writes':>7} {'floor':>6} {'cold':>6}"
    )
    for r in rows:
        print(
            f"{r['database']:<20} {r['in_memory_unit_us']:>9.0f} {r['dumps_us']:>7.0f} {r['loads_us']:>7.0f}"
            f" {r['write_transaction_us']:>7.0f} {r['floor_ratio']:>6.2f} {r['floor_ratio_cold']:>6.2f}"
        )
