"""What a unit of work learns from a statement it sends anyway (the case's lock, the newest definition as
a case opens): whether the webhook subscriptions, the reference data or the decisions changed since this
process last read them, each as a stamp (engine.messaging.webhooks, engine.reference.stamp,
engine.decisions.stamp). Noted on the session, they spare the unit a statement each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Label
from sqlalchemy.orm import Session

from engine.decisions import decisions_stamp, note_decisions_stamp
from engine.messaging import note_stamp, subscriptions_stamp
from engine.reference import note_reference_stamp, reference_stamp


def stamp_columns() -> tuple[Label[int], Label[int], Label[int]]:
    """The three stamps, as columns of a statement (in the order `note_stamps` takes them)."""
    return (
        subscriptions_stamp().label("subscriptions_stamp"),
        reference_stamp().label("reference_stamp"),
        decisions_stamp().label("decisions_stamp"),
    )


def note_stamps(session: Session, values: Sequence[Any]) -> None:
    """Note the stamps a statement read with `stamp_columns` for the rest of the unit."""
    subscriptions, reference, decisions = values
    note_stamp(session, int(subscriptions or 0))
    note_reference_stamp(session, int(reference or 0))
    note_decisions_stamp(session, int(decisions or 0))
