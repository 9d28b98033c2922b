"""Routing by the decision table `routing` (processes/routing.dmn, 003 art. 13): a category's department
and on-site minutes. The table is the one place routing lives: the complaint and repair diagrams run it
as a business rule task, and everything else that needs a category's route asks it here (the liaison
form's suggested department, the dispatch form's on-site limit, the reference page, scripts of older
diagrams that call onsite_minutes or department_of)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.decisions.store import latest_decision, table_of
from engine.decisions.tables import DecisionFailed, DecisionInvalid, evaluate

ROUTING = "routing"
DEPARTMENT_OUTPUT = "routed_department"
MINUTES_OUTPUT = "onsite_limit_minutes"


@dataclass(frozen=True)
class Route:
    """Where the routing table sends a category: its department, and within how many minutes someone must
    be on site (None: the table gives none)."""

    department: str | None
    onsite_minutes: int | None


def routes(session: Session, categories: Iterable[str]) -> dict[str, Route]:
    """The newest routing table's answer for each category; empty when no routing table is deployed
    (or its newest version cannot be read)."""
    row = latest_decision(session, ROUTING)
    if row is None:
        return {}
    try:
        table = table_of(row)
    except DecisionInvalid:
        return {}
    found: dict[str, Route] = {}
    for category in categories:
        try:
            outputs = evaluate(table, {"category": category})
        except DecisionFailed:
            continue
        department, minutes = outputs.get(DEPARTMENT_OUTPUT), outputs.get(MINUTES_OUTPUT)
        found[category] = Route(
            str(department) if department else None, int(minutes) if minutes is not None else None
        )
    return found


def route(session: Session, category: str) -> Route | None:
    """The newest routing table's answer for one category, or None without a table."""
    return routes(session, (category,)).get(category)


def route_pair(session: Session, category: str) -> tuple[str | None, int | None] | None:
    """`route` as the reference lookups of scripts take it (engine.reference.Router)."""
    found = route(session, category)
    return (found.department, found.onsite_minutes) if found is not None else None
