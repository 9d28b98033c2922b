"""Maintenance orders from the hot spots (冬病夏治, issue 20 item 10): one click on a building of the
hot-spot page opens a repair case for it, to be repaired before the next heating season.

What a maintenance order is in repair.bpmn: a repair whose source (`case_source`) is `hot_spot` (the
utility opened it itself, no customer called, so the caller's name and phone may stay empty: their
fields are `optionalWhen` that source), its address the building, its category `facility` (设施故障,
routed by the decision table like any repair: to the repair department, on site within its minutes),
its description the building's figures. From there it is dispatched, repaired and reported as any
repair.

One order per building and day: the order records a key made of the building and the local day (the
intake key of engine.work.intake_keys), so a double click, a second tab or a colleague at the same
moment finds the order already opened instead of opening another; two at once are settled by the key's
primary key, as two submissions of one intake form are.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.cases import runner
from engine.db import IntakeKey, ProcessInstance
from engine.reference import HOT_SPOT_SOURCE
from engine.runtime import Actor
from engine.work.intake_keys import case_of_intake_key, record_intake_key

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

MAINTENANCE_PROCESS = "repair"
MAINTENANCE_CATEGORY = "facility"


@dataclass(frozen=True)
class MaintenanceOrder:
    instance: ProcessInstance
    first: bool  # False: the building's order of the day had been opened already, and is this one


def maintenance_key(district: str, building: str, day: date) -> str:
    """The key of a building's maintenance order of a day (an intake key: letters and digits)."""
    digest = hashlib.sha256(f"{district}|{building}|{day.isoformat()}".encode()).hexdigest()
    return f"hot-spot-{digest[:40]}"


def orders_of_day(
    session: Session, buildings: list[tuple[str, str]], day: date
) -> dict[tuple[str, str], str]:
    """The case number of each building's maintenance order opened that day, for those that have one."""
    keys = {maintenance_key(d, b, day): (d, b) for d, b in buildings}
    if not keys:
        return {}
    rows = session.execute(
        select(IntakeKey.key, ProcessInstance.case_number)
        .join(ProcessInstance, ProcessInstance.id == IntakeKey.instance_id)
        .where(IntakeKey.key.in_(sorted(keys)))
    )
    return {keys[key]: number for key, number in rows}


def open_maintenance_order(
    uow: UnitOfWork, actor: Actor, district: str, building: str, description: str
) -> MaintenanceOrder:
    """The building's maintenance order of today: opened now, or the one opened earlier today.
    FormInvalid when the repair intake refuses it (e.g. a description too long); NotAllowed for a
    person who may not record repairs."""
    now = uow.clock.now()
    key = maintenance_key(district, building, now.astimezone(uow.runtime.zone).date())
    earlier = case_of_intake_key(uow.session, key)
    if earlier is not None:
        return MaintenanceOrder(earlier, first=False)
    form = {
        "customer_name": "",
        "customer_phone": "",
        "address": f"{district}{building}",
        "description": description,
        "category": MAINTENANCE_CATEGORY,
        "department": "",
        "case_source": HOT_SPOT_SOURCE,
        "urgent": "",
    }
    instance = runner.start_case(uow.session, uow.runtime, MAINTENANCE_PROCESS, actor, form)
    try:
        record_intake_key(uow.session, key, instance.id, now)
        uow.flush()
    except IntegrityError:
        # Someone opened the building's order at the same moment and was first: theirs stands.
        uow.rollback()
        earlier = case_of_intake_key(uow.session, key)
        if earlier is None:
            raise
        return MaintenanceOrder(earlier, first=False)
    return MaintenanceOrder(instance, first=True)
