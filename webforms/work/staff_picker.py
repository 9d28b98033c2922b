"""A field that names a person or crew (property staffOf, R2) shown as a list to pick from: each worker
with their open jobs and the jobs they finished today, so the dispatcher sees who is free; then the
crews. The on-site limit a promised time is checked against is shown beside the form (R3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from engine.bpmn import FieldDef, Option
from engine.work import onsite_limit, staff_choices
from webforms.database import runtime
from webforms.labels import group_label
from webforms.reference.labels import STAFF_CREWS, STAFF_PEOPLE


def _option(choice: Any) -> Option:
    if choice.is_group:
        name = _("%(crew)s (waiting: %(count)s)", crew=group_label(choice.value), count=choice.open_jobs)
        return Option(choice.value, name, group=STAFF_CREWS)
    name = _(
        "%(name)s — open jobs: %(open)s, done today: %(done)s",
        name=choice.display_name,
        open=choice.open_jobs,
        done=choice.done_today,
    )
    if choice.at_address:
        name = _("%(choice)s · at %(address)s", choice=name, address=choice.at_address)
    return Option(choice.value, name, group=STAFF_PEOPLE)


def with_staff_options(session: Session, fields: tuple[FieldDef, ...]) -> tuple[FieldDef, ...]:
    """The form's staffOf fields as lists of today's people and crews."""
    if not any(f.staff_of for f in fields):
        return fields
    now, zone = runtime().clock.now(), runtime().zone
    return tuple(
        replace(
            f, type="enum", options=tuple(_option(c) for c in staff_choices(session, f.staff_of, now, zone))
        )
        if f.staff_of
        else f
        for f in fields
    )


def promise_limit(
    session: Session, fields: tuple[FieldDef, ...], case_data: dict[str, Any]
) -> datetime | None:
    """When someone must be on site at the latest if dispatched now, for a form that promises a time."""
    if not any(f.onsite_limit_reason for f in fields):
        return None
    return onsite_limit(session, case_data.get("category"), runtime().clock.now())
