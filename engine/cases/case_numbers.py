"""Readable case numbers, unique per procedure and day: TS-20261123-0001."""

from __future__ import annotations

from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import CaseCounter, DriverStatement

_counters = cast(Table, CaseCounter.__table__)
# A Core statement built once and sent straight to the driver (engine.db.driver_statements): the ORM's
# bulk-update bookkeeping (there is no counter object in the session to keep in step) is skipped.
_NEXT_NUMBER = DriverStatement(
    update(_counters)
    .where(_counters.c.prefix == bindparam("of_prefix"), _counters.c.day == bindparam("of_day"))
    .values(last=_counters.c.last + 1)
    .returning(_counters.c.last)
)


def next_case_number(session: Session, prefix: str, when: datetime, zone: ZoneInfo) -> str:
    day = when.astimezone(zone).strftime("%Y%m%d")
    for _attempt in range(3):
        row = _NEXT_NUMBER.execute(session, {"of_prefix": prefix, "of_day": day}).first()
        if row is not None:
            return f"{prefix}-{day}-{row[0]:04d}"
        try:
            # A savepoint, so losing the race to create the day's counter does not spoil the transaction.
            with session.begin_nested():
                session.add(CaseCounter(prefix=prefix, day=day, last=1))
            return f"{prefix}-{day}-0001"
        except IntegrityError:
            continue
    last = session.scalar(
        select(CaseCounter.last).where(CaseCounter.prefix == prefix, CaseCounter.day == day)
    )
    raise RuntimeError(f"could not allocate a case number for {prefix}-{day} (last {last})")
