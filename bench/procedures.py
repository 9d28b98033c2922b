"""The bundled procedures the benchmarks run, deployed as `hotline deploy` does: decision tables first.

Complaints and repairs are routed by a business rule task (route_by_category) that runs the routing
table (processes/routing.dmn); a diagram calling a decision that is not deployed is refused, so a
benchmark deploys the table before the diagram. The in-memory runs, which have no database, evaluate
the same table file directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import decisions_in_use
from engine.decisions import deploy_decision, evaluate, parse_decision
from engine.processes import deploy
from engine.runtime import Runtime

PROCESSES = Path(__file__).resolve().parents[1] / "processes"
ROUTING = PROCESSES / "routing.dmn"


def deploy_procedure(session: Session, runtime: Runtime, diagram: Path, deployed_by: str = "bench") -> None:
    """Deploy the shipped decision tables, then `diagram`."""
    for table in sorted(PROCESSES.glob("*.dmn")):
        deploy_decision(session, runtime.clock, table.read_bytes(), str(table), deployed_by)
    deploy(session, runtime, diagram.read_bytes(), str(diagram), deployed_by)


@contextmanager
def decisions_from_files() -> Iterator[None]:
    """Let business rule tasks run without a database: each decision is read from its shipped file."""
    tables = {
        table.key: table
        for path in sorted(PROCESSES.glob("*.dmn"))
        for table in [parse_decision(path.read_bytes(), str(path))]
    }

    def run(key: str, _version: int | None, data: dict[str, Any]) -> dict[str, Any]:
        return evaluate(tables[key], data)

    with decisions_in_use(run):
        yield
