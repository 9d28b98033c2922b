"""What process_bench and web_bench share: a one-user-task process (start → a form of four fields →
end), its database (schema by migration, reference data, the diagram deployed), the units of work a
web request runs (open a case; complete its task), bare SpiffWorkflow doing the same in memory, and
worker processes started together that time those units side by side."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Engine as DatabaseEngine
from sqlalchemy import func, select

from engine.bpmn import ParsedDefinition, SandboxScriptEngine, parse_definition, validate_form
from engine.cases import start_case
from engine.clock import SystemClock
from engine.db import Event, HumanTask, ProcessInstance, make_engine, make_session_factory, upgrade
from engine.processes import deploy
from engine.reference import script_lookups, seed_reference_data
from engine.runtime import Actor, Runtime
from engine.unit_of_work import UnitOfWork
from engine.work import complete_task

PROCESS_KEY = "one_task_bench"
ZONE = ZoneInfo("Asia/Shanghai")
GROUP = "operator"
ACTOR = Actor("bench_operator", frozenset({GROUP}))
PASSWORD = "hotline-bench-123"

DIAGRAM = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_{PROCESS_KEY}" targetNamespace="http://hotline.example/bench">
  <bpmn:process id="{PROCESS_KEY}" name="One task (bench)" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="answer" name="Answer the call" camunda:candidateGroups="{GROUP}">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="customer_name" label="Customer" type="string">
            <camunda:validation><camunda:constraint name="required"/></camunda:validation>
          </camunda:formField>
          <camunda:formField id="informed" label="Customer informed" type="boolean"/>
          <camunda:formField id="satisfied" label="Satisfied" type="enum">
            <camunda:validation><camunda:constraint name="required"/></camunda:validation>
            <camunda:value id="yes" name="Satisfied"/>
            <camunda:value id="no" name="Not satisfied"/>
          </camunda:formField>
          <camunda:formField id="note" label="Note" type="string"/>
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="answer"/>
    <bpmn:sequenceFlow id="f2" sourceRef="answer" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()

FORM = {  # as the browser posts it
    "customer_name": "张伟",
    "informed": "on",
    "satisfied": "yes",
    "note": "客户表示满意,问题已解决。",
}


def parsed_diagram() -> ParsedDefinition:
    return parse_definition(DIAGRAM, f"{PROCESS_KEY}.bpmn")


def typed_form(parsed: ParsedDefinition) -> dict[str, Any]:
    """What the form puts into the task data once validated, so both paths carry the same data."""
    values, errors = validate_form(parsed.user_tasks["answer"].fields, FORM)
    if errors:
        raise SystemExit(f"the benchmark's form does not validate: {errors}")
    return values


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


# --- the database --------------------------------------------------------------------------------


def prepare_database(url: str) -> None:
    """Schema by migration, the reference data, the one-task diagram deployed."""
    database = make_engine(url)
    try:
        upgrade(database)
        factory = make_session_factory(database)
        with factory.begin() as session:
            seed_reference_data(session, SystemClock())
            deploy(session, Runtime(clock=SystemClock(), zone=ZONE), DIAGRAM, f"{PROCESS_KEY}.bpmn", "bench")
    finally:
        database.dispose()


def open_cases(url: str, count: int, batch: int = 200) -> list[int]:
    """`count` cases opened through the engine (a few per transaction: setup, not timed); their tasks' ids."""
    database = make_engine(url)
    runtime = Runtime(clock=SystemClock(), zone=ZONE)
    factory = make_session_factory(database)
    task_ids: list[int] = []
    try:
        while len(task_ids) < count:
            with UnitOfWork(factory, runtime) as uow:
                ids = [
                    start_case(uow.session, uow.runtime, PROCESS_KEY, ACTOR).id
                    for _ in range(min(batch, count - len(task_ids)))
                ]
                uow.commit()
            with factory() as session:
                task_ids += session.scalars(
                    select(HumanTask.id).where(HumanTask.instance_id.in_(ids)).order_by(HumanTask.id)
                ).all()
    finally:
        database.dispose()
    return task_ids


def history_per_case(url: str) -> dict[str, float]:
    """Completed cases and history events per case in the database (what "full history" wrote)."""
    database = make_engine(url)
    try:
        with make_session_factory(database)() as session:
            cases = session.scalar(select(func.count(ProcessInstance.id))) or 0
            completed = session.scalar(
                select(func.count(ProcessInstance.id)).where(ProcessInstance.status == "completed")
            )
            events = session.scalar(select(func.count(Event.id))) or 0
    finally:
        database.dispose()
    return {
        "cases": cases,
        "completed": completed or 0,
        "events_per_case": round(events / cases, 2) if cases else 0,
    }


# --- units of work -------------------------------------------------------------------------------


class Persisted:
    """The engine's units of work on one connection pool of this process, each one transaction."""

    def __init__(self, url: str) -> None:
        self.database: DatabaseEngine = make_engine(url)
        self.factory = make_session_factory(self.database)
        self.runtime = Runtime(clock=SystemClock(), zone=ZONE)

    def start(self) -> int:
        """Open a case; returns its open task's id, read in the same unit (as the web's redirect to
        the task page would need it)."""
        with UnitOfWork(self.factory, self.runtime) as uow:
            instance_id = start_case(uow.session, uow.runtime, PROCESS_KEY, ACTOR).id
            task_id = uow.session.scalar(
                select(HumanTask.id).where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
            )
            uow.commit()
        if task_id is None:
            raise RuntimeError(f"case {instance_id} has no open task")
        return task_id

    def complete(self, task_id: int) -> None:
        with UnitOfWork(self.factory, self.runtime) as uow:
            instance = complete_task(uow, task_id, ACTOR, dict(FORM))
            uow.commit()
        if instance.status != "completed":
            raise RuntimeError(f"case {instance.case_number} did not complete: {instance.status}")

    def close(self) -> None:
        self.database.dispose()


class InMemory:
    """Bare SpiffWorkflow: the same diagram and script engine, nothing stored."""

    def __init__(self) -> None:
        self.parsed = parsed_diagram()
        self.script_engine = SandboxScriptEngine(SystemClock(), ZONE, script_lookups())
        self.values = typed_form(self.parsed)

    def start(self) -> BpmnWorkflow:
        workflow = BpmnWorkflow(
            self.parsed.spec, self.parsed.subprocess_specs, script_engine=self.script_engine
        )
        workflow.do_engine_steps()
        return workflow

    def complete(self, workflow: BpmnWorkflow) -> None:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if len(ready) != 1:
            raise RuntimeError(f"expected one ready task, found {ready}")
        ready[0].data.update(self.values)
        ready[0].run()
        workflow.do_engine_steps()
        if not workflow.is_completed():
            raise RuntimeError("an in-memory case did not complete")


# --- workers started together --------------------------------------------------------------------


@dataclass
class Timing:
    """One round of one worker: when it began and ended (time.monotonic, shared by the processes of
    the machine) and how long each unit took, by kind."""

    began: float
    ended: float
    units: dict[str, list[float]] = field(default_factory=dict)
    # CPU seconds the round cost (time.process_time of the worker; set by the benchmarks that report it).
    cpu: float = 0.0


@dataclass
class Round:
    """What the workers of one round did together."""

    label: str
    timings: list[Timing]
    items: int  # processes started and completed, or tasks completed

    @property
    def seconds(self) -> float:
        return max(t.ended for t in self.timings) - min(t.began for t in self.timings)

    @property
    def per_second(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0

    def latencies(self, kind: str) -> list[float]:
        return [x for t in self.timings for x in t.units.get(kind, [])]

    @property
    def cpu(self) -> float:
        return sum(t.cpu for t in self.timings)


def run_in_workers(
    target: Callable[..., None], workers: int, arguments: Sequence[tuple[Any, ...]], rounds: int
) -> list[list[Timing]]:
    """Start `workers` processes (spawned: nothing of this process's connections or sandbox pool is
    inherited) running `target(barrier, results, *arguments[i])`; each reports one Timing a round
    after waiting at the barrier with the others. Returns the timings by round."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=target, args=(barrier, results, *arguments[i]), daemon=True)
        for i in range(workers)
    ]
    for process in processes:
        process.start()
    by_round: list[list[Timing]] = [[] for _ in range(rounds)]
    try:
        for _ in range(workers * rounds):
            item = results.get(timeout=600)
            if isinstance(item, str):
                raise RuntimeError(f"a benchmark worker failed:\n{item}")
            number, timing = item
            by_round[number].append(timing)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    return by_round


def median_round(rounds: list[Round]) -> Round:
    """The round of median throughput (rounds of an even count: the slower of the middle two)."""
    ordered = sorted(rounds, key=lambda r: r.per_second)
    return ordered[(len(ordered) - 1) // 2]


def spread(rounds: list[Round]) -> list[float]:
    return [round(r.per_second, 1) for r in rounds]


def ms(values: Sequence[float], pct: float) -> float:
    return round(percentile(values, pct) * 1000, 2)


def print_table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> None:
    table = [tuple(header), *[tuple(line) for line in lines]]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for n, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:], strict=True)]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def monotonic() -> float:
    return time.monotonic()


def machine(*packages: str) -> dict[str, Any]:
    """What the JSON says of the machine a run was made on: Python, platform, cores, load, versions."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()),
        **{package: package_version(package) for package in packages},
    }


def write_report(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
