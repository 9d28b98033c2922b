"""The weights of the monthly department assessment's figures: whole per cents an administrator sets,
summing to 100; stored one row per figure, each change recorded in the administrative audit. Until an
administrator sets them the defaults below apply."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import FieldError
from engine.db import AssessmentWeight
from engine.errors import FormInvalid
from engine.reference import record_admin_change
from engine.supervision.department_assessment import FIGURES
from engine.unit_of_work import UnitOfWork

DEFAULT_WEIGHTS = {
    "acknowledgement": 15,
    "closing": 25,
    "satisfaction": 30,
    "redo": 15,
    "chases": 10,
    "send_backs": 5,
}
TOTAL = 100
AUDIT_SUBJECT = ("assessment", "department_weights")


def current_weights(session: Session) -> dict[str, int]:
    stored = {row.figure: row.weight for row in session.scalars(select(AssessmentWeight))}
    return {name: stored.get(name, DEFAULT_WEIGHTS[name]) for name in FIGURES}


def parse_weights(raw: Mapping[str, str]) -> dict[str, int]:
    """Whole numbers 0…100, one per figure, summing to 100; FormInvalid names what is wrong."""

    weights: dict[str, int] = {}
    errors: dict[str, FieldError] = {}
    for name in FIGURES:
        text = (raw.get(name) or "").strip()
        if not text.isdigit() or int(text) > TOTAL:
            errors[name] = FieldError("weight-range", {"max": TOTAL})
        else:
            weights[name] = int(text)
    if not errors and sum(weights.values()) != TOTAL:
        errors["total"] = FieldError("weight-total", {"total": sum(weights.values()), "want": TOTAL})
    if errors:
        raise FormInvalid(errors, dict(raw))
    return weights


def set_weights(uow: UnitOfWork, actor: str, raw: Mapping[str, str]) -> dict[str, int]:
    """Store valid weights and record the change (who, when, each weight before and after); the caller
    commits the unit of work."""
    weights = parse_weights(raw)
    session = uow.session
    before = current_weights(session)
    now = uow.clock.now()
    stored = {row.figure: row for row in session.scalars(select(AssessmentWeight))}
    for name, weight in weights.items():
        row = stored.get(name)
        if row is None:
            session.add(AssessmentWeight(figure=name, weight=weight, updated_by=actor, updated_at=now))
        elif row.weight != weight:
            row.weight, row.updated_by, row.updated_at = weight, actor, now
    changes = {name: [before[name], weights[name]] for name in FIGURES if before[name] != weights[name]}
    if changes:
        record_admin_change(session, uow.clock, actor, "weights_set", *AUDIT_SUBJECT, changes)
    return weights
