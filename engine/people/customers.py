"""The customer register (M5) at intake: find the caller, see their cases, add a new caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.db import ESCAPE, Customer, ProcessInstance, containing, starting_with


def find_customers(session: Session, query: str, limit: int = 20) -> list[Customer]:
    """Customers whose phone or account starts with `query`, or whose address or name contains it."""
    text = query.strip()[:100]
    if len(text) < 2:
        return []
    prefix, inside = starting_with(text), containing(text)
    register_address = Customer.district + Customer.building + Customer.unit + Customer.room
    return list(
        session.scalars(
            select(Customer)
            .where(
                or_(
                    Customer.phone.like(prefix, escape=ESCAPE),
                    Customer.account_no.like(prefix, escape=ESCAPE),
                    Customer.name == text,
                    register_address.like(inside, escape=ESCAPE),
                    Customer.address.like(inside, escape=ESCAPE),
                )
            )
            .order_by(Customer.account_no)
            .limit(limit)
        )
    )


def customers_by_account(session: Session, prefix: str, limit: int = 20) -> list[Customer]:
    """Customers whose account starts with `prefix`: the search of a role that sees the register masked,
    which must not find a customer by who they are (name, phone, address)."""
    text = prefix.strip()[:30]
    if not text:
        return []
    return list(
        session.scalars(
            select(Customer)
            .where(Customer.account_no.like(starting_with(text), escape=ESCAPE))
            .order_by(Customer.account_no)
            .limit(limit)
        )
    )


def register_size(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Customer)) or 0


def cases_of_phone(session: Session, phone: str, limit: int = 20) -> list[ProcessInstance]:
    """The cases opened for this phone number, open ones first, newest first."""
    if not phone:
        return []
    return list(
        session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.customer_phone == phone)
            .order_by((ProcessInstance.status == "running").desc(), ProcessInstance.opened_at.desc())
            .limit(limit)
        )
    )


# A new caller's account number is T, the day of `now` (the caller passes it in the hotline's zone, as
# the case numbers have it) and the phone's last 8 digits; two phones ending
# alike on one day take the next free suffix (-2, -3, …). Tried in the same order by every intake, so
# two intakes for one new caller at once ask for the same number and the database keeps one row.
ACCOUNT_SUFFIXES = 50


def _account_numbers(phone: str, now: datetime) -> list[str]:
    first = f"T{now:%Y%m%d}{phone[-8:]}"
    return [first] + [f"{first}-{n}" for n in range(2, ACCOUNT_SUFFIXES + 1)]


def _customer_of_phone(session: Session, phone: str) -> Customer | None:
    return session.scalars(
        select(Customer).where(Customer.phone == phone).order_by(Customer.id).limit(1)
    ).first()


def register_caller(
    session: Session, name: str | None, phone: str | None, address: str | None, now: datetime
) -> Customer | None:
    """A caller who is not in the register yet is added (name, phone, address as told); returns the new
    record, or None when the phone is already known or missing.

    The row is inserted with ON CONFLICT DO NOTHING: an account number another caller took moves on to
    the next suffix, and when another intake for the same caller was quicker (it waited for that one to
    commit), the caller is known and nothing is added; no constraint error spoils the unit of work."""
    if not phone:
        return None
    phone = phone[:30]
    if _customer_of_phone(session, phone) is not None:
        return None
    values = {
        "name": (name or "")[:100],
        "phone": phone,
        "email": "",
        "district": "",
        "building": "",
        "unit": "",
        "room": "",
        "address": (address or "")[:300],
        "heated_area": None,
    }
    dialect = session.get_bind().dialect.name
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for account_no in _account_numbers(phone, now):
        statement = (
            upsert(Customer)
            .values(account_no=account_no, **values)
            .on_conflict_do_nothing()
            .returning(Customer.id)
        )
        new_id = session.scalar(statement)
        if new_id is not None:
            return session.get(Customer, new_id)
        if _customer_of_phone(session, phone) is not None:
            return None  # another intake registered this caller meanwhile
    raise RuntimeError(f"no free account number for {phone!r} today after {ACCOUNT_SUFFIXES} tries")
