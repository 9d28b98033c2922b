"""Values as staff read them: times in local time, spans of time, enum values by their names, yes and
no, masked personal data; the case data panel and the history's changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_login import current_user

from engine.bpmn import FieldDef, VariableLabel
from engine.cases import PAUSE_REASONS
from webforms.database import runtime
from webforms.diagram_names import process_choices
from webforms.i18n import current_language, list_separator
from webforms.labels import SYSTEM_LABELS, Labels, group_label, known_label
from webforms.people.masking import mask
from webforms.people.names import person
from webforms.reference.labels import REFERENCE_KINDS, enum_name, reference_name

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# Data items holding logins (one, or a list of them): shown by the people's display names.
PEOPLE_ITEMS = frozenset({"assignee", "recipients"})
# Data items holding candidate groups (comma-separated ids): shown by the groups' names.
GROUP_ITEMS = frozenset({"candidate_groups", "callback_group"})


def people_named(value: Any) -> Any:
    """Logins as people call them; anything else (a count of notified customers) as it is."""
    if isinstance(value, str):
        return person(value) or None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list_separator().join(person(v) for v in value) or None
    return value


def named(key: str, value: Any, fields: dict[str, FieldDef]) -> Any:
    """The system's data naming groups or people, by their names; a form's own field keeps its value."""
    if key in fields:
        return value
    if key in GROUP_ITEMS and isinstance(value, str):
        return group_label(value) or None
    if key in PEOPLE_ITEMS:
        return people_named(value)
    if key == "pause_reason" and value in PAUSE_REASONS:
        return _(PAUSE_REASONS[value])
    return value


def form_order(fields: dict[str, FieldDef], labels: Labels | None = None) -> Callable[[str], tuple[int, str]]:
    """A sort key putting data items as people met them: the forms' fields in the diagram's order (a
    form's own order within it), then what the diagram's scripts label, then the system's data, then
    the rest by name."""
    ranks: dict[str, int] = {}
    for key in (*fields, *(labels or {}), *SYSTEM_LABELS):
        ranks.setdefault(key, len(ranks))
    return lambda key: (ranks.get(key, len(ranks)), key)


def case_rows(
    data: dict[str, Any], fields: dict[str, FieldDef], labels: Labels | None = None
) -> list[tuple[str, str, str]]:
    """The case data panel as (key, label, shown value) in form order: only data something labels."""
    rows = []
    order = form_order(fields, labels)
    for key, value in sorted(data.items(), key=lambda item: order(item[0])):
        label = known_label(key, fields, labels)
        if label is not None:
            rows.append(
                (
                    key,
                    label,
                    display_value(
                        fields.get(key),
                        mask(key, named(key, value, fields), fields),
                        (labels or {}).get(key),
                        key,
                    ),
                )
            )
    return rows


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    typed = value
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return typed
    try:
        return value.astimezone(runtime().zone).strftime(fmt)
    except OverflowError:  # a refused 9999-12-31T23:59-12:00 shown again as typed
        return str(typed)


def duration_text(span: timedelta) -> str:
    """'2 d 3 h', '1 h 5 min' or '12 min', in the user's language."""
    minutes = int(abs(span.total_seconds())) // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=mins)
    return _("%(m)s min", m=mins)


def time_left(due: datetime | None, now: datetime) -> str:
    """'2 h 5 min left' or 'overdue by 30 min', in the user's language."""
    if due is None:
        return ""
    span = duration_text(due - now)
    return _("%(span)s left", span=span) if due >= now else _("overdue by %(span)s", span=span)


def datetime_input(value: Any) -> str:
    """A stored date and time as a datetime-local input shows it (local time, to the minute)."""
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        return "" if value is None else str(value)
    return local_time(value, "%Y-%m-%dT%H:%M") if len(value) > 19 else value[:16]


def display_value(
    field: FieldDef | None, value: Any, label: VariableLabel | None = None, key: str = ""
) -> str:
    """A value as staff read it: enum values and a script's named values (values:<name>) by their names in
    the UI language, reference codes by the reference data's names, times in local time."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return list_separator().join(display_value(field, v, label, key) for v in value) or "—"
    if field is not None and field.type == "enum":
        name = enum_name(field, value)
        if name == value and key == "department" and isinstance(value, str):
            # a deadline warning's or chase's: the step's candidate groups (a role, or several groups)
            return group_label(value)
        return name
    if field is not None and field.staff_of and isinstance(value, str):  # a person or crew sent (R2)
        return group_label(value) if value in field.staff_of else person(value)
    named = label.value_name(value, current_language()) if label is not None else None
    if named is not None:
        return named
    if field is None and key in REFERENCE_KINDS and isinstance(value, str):
        name = reference_name(key, value)
        return group_label(value) if name == value and key == "department" else name
    if field is None and key.endswith("_department") and isinstance(value, str):  # routed_department
        return reference_name("department", value)  # the code itself when no department has it
    if field is None and key == "original_process" and isinstance(value, str):  # a sampled callback's
        return dict(process_choices()).get(value, value)
    if field is not None and field.type == "signature":
        return _("Drawn signature (in the attachments)")
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return local_time(value)
    return str(value)


def sees_raw_data() -> bool:
    """Supervisors see the history's unlabelled data (a script's working variables) by their raw names."""
    return "supervisor" in getattr(current_user, "roles", ())


def visible_changes(
    changes: dict[str, list[Any]], fields: dict[str, FieldDef], labels: Labels | None = None
) -> list[tuple[str, str, str]]:
    """History rows as (label, before, after), masked, leaving out values that only look different
    to the machine (a blank field recorded as None), and data nothing labels unless a supervisor looks."""
    rows = []
    raw = sees_raw_data()
    order = form_order(fields, labels)
    for key, (before, after) in sorted(changes.items(), key=lambda item: order(item[0])):
        label = known_label(key, fields, labels)
        if label is None and not raw:
            continue
        field = fields.get(key)
        variable = (labels or {}).get(key)
        before, after = named(key, before, fields), named(key, after, fields)
        shown_before = display_value(field, mask(key, before, fields), variable, key)
        shown_after = display_value(field, mask(key, after, fields), variable, key)
        if shown_before != shown_after:
            rows.append((label or key, shown_before, shown_after))
    return rows
