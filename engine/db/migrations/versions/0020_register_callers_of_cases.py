"""every case's caller is in the customer register (M5)

Cases opened before intake registered its callers (or by a path that did not) left callers the intake
lookup could not find. Each phone of a case that the register does not know is added, with the name
and address of its newest case, numbered as intake numbers a new caller (T, the day of their first
case, the phone's last 8 digits, -2, -3, … when taken).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 08:30:00.000000
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_case = sa.table(
    "process_instance",
    sa.column("id", sa.Integer),
    sa.column("customer_name", sa.String),
    sa.column("customer_phone", sa.String),
    sa.column("address", sa.String),
    sa.column("opened_at", sa.DateTime(timezone=True)),
)
_customer = sa.table(
    "customer",
    sa.column("account_no", sa.String),
    sa.column("name", sa.String),
    sa.column("phone", sa.String),
    sa.column("email", sa.String),
    sa.column("district", sa.String),
    sa.column("building", sa.String),
    sa.column("unit", sa.String),
    sa.column("room", sa.String),
    sa.column("address", sa.String),
    sa.column("heated_area", sa.Float),
)


def register_callers(connection: Any) -> int:
    """Add every case's phone the register lacks; returns how many callers were added."""
    known = set(connection.scalars(sa.select(_customer.c.phone)))
    taken = set(connection.scalars(sa.select(_customer.c.account_no)))
    callers: dict[str, dict[str, Any]] = {}
    cases = connection.execute(
        sa.select(_case.c.customer_phone, _case.c.customer_name, _case.c.address, _case.c.opened_at)
        .where(_case.c.customer_phone.is_not(None), _case.c.customer_phone != "")
        .order_by(_case.c.opened_at, _case.c.id)
    )
    for phone, name, address, opened_at in cases:
        if phone in known:
            continue
        caller = callers.setdefault(phone, {"first": opened_at})
        caller.update(name=name or "", address=address or "")  # the newest case's, as told last
    rows = []
    for phone, caller in callers.items():
        first = f"T{caller['first']:%Y%m%d}{phone[-8:]}"
        account_no = next(n for n in (first, *(f"{first}-{k}" for k in range(2, 10_000))) if n not in taken)
        taken.add(account_no)
        rows.append(
            {
                "account_no": account_no,
                "name": caller["name"][:100],
                "phone": phone[:30],
                "email": "",
                "district": "",
                "building": "",
                "unit": "",
                "room": "",
                "address": caller["address"][:300],
                "heated_area": None,
            }
        )
    if rows:
        connection.execute(sa.insert(_customer), rows)
    return len(rows)


def upgrade() -> None:
    register_callers(op.get_bind())


def downgrade() -> None:
    pass  # the callers stay in the register: they are customers now
