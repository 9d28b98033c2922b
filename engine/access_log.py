"""The record of who read customers' personal data unmasked (M6)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .clock import Clock
from .models import PersonalDataAccess

PERSONAL_FIELDS = frozenset({"customer_name", "customer_phone", "address"})


def holds_personal_data(data: dict) -> bool:
    return any(data.get(key) for key in PERSONAL_FIELDS)


def record_access(session: Session, clock: Clock, username: str, instance_id: int, view: str) -> None:
    session.add(PersonalDataAccess(at=clock.now(), username=username, instance_id=instance_id, view=view))


def record_customer_access(session: Session, clock: Clock, username: str, customer_ids: Iterable[int], view: str) -> None:
    """A register record read in full outside a case (the caller found or chosen at intake)."""
    now = clock.now()
    session.add_all(PersonalDataAccess(at=now, username=username, customer_id=customer_id, view=view)
                    for customer_id in customer_ids)


def accesses_of_customer(session: Session, customer_id: int) -> list[PersonalDataAccess]:
    return list(session.scalars(
        select(PersonalDataAccess).where(PersonalDataAccess.customer_id == customer_id).order_by(PersonalDataAccess.id)
    ))


def accesses_of_case(session: Session, instance_id: int) -> list[PersonalDataAccess]:
    return list(session.scalars(
        select(PersonalDataAccess).where(PersonalDataAccess.instance_id == instance_id).order_by(PersonalDataAccess.id)
    ))
