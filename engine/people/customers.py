"""The customer register (M5) at intake: find the caller, see their cases, add a new caller."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
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


def register_caller(
    session: Session, name: str | None, phone: str | None, address: str | None, now: datetime
) -> Customer | None:
    """A caller who is not in the register yet is added (name, phone, address as told); returns the new
    record, or None when the phone is already known or missing."""
    if not phone or session.scalar(select(func.count(Customer.id)).where(Customer.phone == phone)):
        return None
    customer = Customer(
        account_no=f"T{now:%Y%m%d}{phone[-8:]}",
        name=(name or "")[:100],
        phone=phone[:30],
        email="",
        district="",
        building="",
        unit="",
        room="",
        address=(address or "")[:300],
        heated_area=None,
    )
    session.add(customer)
    session.flush()
    return customer
