"""The record of who read customers' personal data unmasked (M6)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.db import PersonalDataAccess, ProcessDefinition, ProcessInstance
from engine.people.masking import CUSTOMER_COLUMNS


def holds_personal_data(data: Mapping[str, object], personal: Collection[str] = CUSTOMER_COLUMNS) -> bool:
    """Whether the case data holds a value of one of these personal fields (by default the customer's
    name, phone and address; a page passes the fields its diagram declares personal as well)."""
    return any(data.get(key) for key in personal)


def record_access(session: Session, clock: Clock, username: str, instance_id: int, view: str) -> None:
    session.add(PersonalDataAccess(at=clock.now(), username=username, instance_id=instance_id, view=view))


def record_list_access(
    session: Session, clock: Clock, username: str, instance_ids: Iterable[int], view: str
) -> None:
    """Cases shown in full in a list (a page of search results): one row per case, in one statement."""
    now = clock.now()
    rows = [
        {"at": now, "username": username, "instance_id": instance_id, "customer_id": None, "view": view}
        for instance_id in dict.fromkeys(instance_ids)
    ]
    if rows:
        session.execute(insert(PersonalDataAccess), rows)


def cases_named_in(
    session: Session,
    texts: dict[int, list[str]],
    declared: Callable[[ProcessDefinition], Collection[str]] | None = None,
) -> list[int]:
    """Of the cases keyed in `texts`, those whose customer's name, phone or address, or the value of a
    field their diagram declares personal (`declared`: the field ids of a definition, e.g. a
    consultation's reply contact), appears in one of their texts (a message a diagram filled in from
    the case's data, e.g. an urgent liaison notice)."""
    if not texts:
        return []
    found = []
    for case in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(list(texts)))):
        values = [case.customer_name, case.customer_phone, case.address]
        if declared is not None:
            data = case.data or {}
            values.extend(str(data[key]) for key in declared(case.definition) if data.get(key))
        if any(value and value in text for value in values for text in texts[case.id]):
            found.append(case.id)
    return sorted(found)


def record_customer_access(
    session: Session, clock: Clock, username: str, customer_ids: Iterable[int], view: str
) -> None:
    """A register record read in full outside a case (the caller found or chosen at intake)."""
    now = clock.now()
    session.add_all(
        PersonalDataAccess(at=now, username=username, customer_id=customer_id, view=view)
        for customer_id in customer_ids
    )


def accesses_of_customer(session: Session, customer_id: int) -> list[PersonalDataAccess]:
    return list(
        session.scalars(
            select(PersonalDataAccess)
            .where(PersonalDataAccess.customer_id == customer_id)
            .order_by(PersonalDataAccess.id)
        )
    )


def accesses_of_case(session: Session, instance_id: int) -> list[PersonalDataAccess]:
    return list(
        session.scalars(
            select(PersonalDataAccess)
            .where(PersonalDataAccess.instance_id == instance_id)
            .order_by(PersonalDataAccess.id)
        )
    )
