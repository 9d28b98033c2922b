"""The hook where the departments' send-backs (退单: "not ours", reviewed by the dispatcher, issue 20
item 1) plug into the monthly department assessment.

No diagram deployed today has a send-back step, so `department_send_backs` returns None (nothing can be
counted) and the assessment's send-back rate shows "—" (its weight drops out of the score). When the
send-back-with-review path lands, it returns, per department code, one item per send-back the
department made in [start, end) by `as_of` (its case number, the step, when, `counted=True`), read from
that path's history events, and an empty dict when there were none; the assessment divides them by the
department steps that arrived in the period.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from engine.supervision.department_assessment import Item


def department_send_backs(
    session: Session, start: datetime, end: datetime, as_of: datetime
) -> dict[str, list[Item]] | None:
    """Send-backs by department code in the period; None while no procedure can send a case back."""
    return None
