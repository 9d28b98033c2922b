"""What every page shares: error pages in the user's language, time and field formatting, masking."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, g, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from engine.bpmn.form_fields import FieldDef, FieldError
from engine.bpmn.variable_labels import VariableLabel
from engine.errors import Conflict, NotAllowed, NotFound, ScriptFailed
from engine.people.access_log import PERSONAL_FIELDS, holds_personal_data, record_access, record_list_access
from engine.processes.deployment import latest_definition, list_process_names, parsed_definition
from webforms.database import db, runtime
from webforms.i18n import current_language
from webforms.people.names import person
from webforms.reference.labels import (
    REFERENCE_KINDS,
    department_routes,
    enum_name,
    localized_name,
    option_groups,
    reference_name,
)

ERROR_MESSAGES = {
    "required": _l("This field is required."),
    "not_boolean": _l("Choose yes or no."),
    "not_integer": _l("Enter a whole number."),
    "min_value": _l("Enter a number of at least %(min)s."),
    "max_value": _l("Enter a number of at most %(max)s."),
    "not_date": _l("Enter a date as YYYY-MM-DD."),
    "not_datetime": _l("Enter a date and time as YYYY-MM-DD HH:MM."),
    "not_option": _l("Choose one of the listed values."),
    "taken": _l("This code is already used."),
    "min_length": _l("Enter at least %(min)s characters."),
    "max_length": _l("Enter at most %(max)s characters."),
    "pattern": _l("The format is not valid (for a phone: 13812345678 or 0951-5012345)."),
    "before_other": _l("This may not be earlier than “%(other)s”."),
    "not_signature": _l("The signature could not be read; clear it and sign again."),
    "signature_too_large": _l("The signature image is larger than %(kb)s KB; clear it and sign again."),
}

EVENT_KINDS = {
    "case_started": _l("Case opened"),
    "task_completed": _l("Task completed"),
    "task_created": _l("Task created"),
    "script_ran": _l("Automatic step"),
    "timer_fired": _l("Deadline reached"),
    "end_reached": _l("End reached"),
    "case_closed": _l("Case closed"),
    "notification_sent": _l("Staff notified"),
    "notice_published": _l("Public notice published"),
    "incident_raised": _l("Automatic step failed (incident)"),
    "incident_retried": _l("Incident retried"),
    "task_claimed": _l("Task claimed"),
    "attachment_added": _l("File attached"),
    "task_released": _l("Task released"),
    "task_reassigned": _l("Task reassigned"),
    "case_migrated": _l("Moved to another version of the procedure"),
}

# Data the engine or the diagram's scripts set, which no form field labels.
SYSTEM_LABELS = {
    "reply_due": _l("Reply due"),
    "reopen_count": _l("Times sent back to the department"),
    "process_version": _l("Process version"),
    "candidate_groups": _l("Candidate groups"),
    "dispatch_overdue": _l("Site order overdue"),
    "overdue_chased": _l("Department chased"),
    "recipients": _l("Recipients"),
    "notice": _l("Notice"),
    "error": _l("Error"),
    "assignee": _l("Assignee"),
    "attachment": _l("File"),
    # The customer and routing of a case the system opened itself (a sampled callback, M1).
    "customer_name": _l("Customer name"),
    "customer_phone": _l("Customer phone"),
    "address": _l("Address"),
    "category": _l("Category"),
    "department": _l("Department"),
    "callback_group": _l("Called back by"),
    "sample_week": _l("Sampled in week"),
    "original_process": _l("Procedure of the original case"),
    "steps": _l("Where the case is"),
}

_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
GROUP_LABELS = {
    "operator": _l("Hotline operators"),
    "dispatcher": _l("Repair dispatchers"),
    "repair_worker": _l("Repair workers"),
    "liaison": _l("Liaisons"),
    "supervisor": _l("Supervisors"),
    "process_owner": _l("Process owners"),
    "admin": _l("Administrators"),
    "department_head": _l("Heads of department"),
    "customer_service": _l("Customer service centre"),
    "operations": _l("Operations department"),
    "repair": _l("Repair department"),
    "technical": _l("Technical department"),
    "billing": _l("Billing department"),
}

TASK_STATUS = {"open": _l("open"), "completed": _l("completed"), "cancelled": _l("cancelled")}

CONFLICT_MESSAGES = {
    "task_closed": _l(
        "Task “%(task)s” of case %(case)s is already %(status)s (by %(by)s). Nothing was changed."
    ),
    "task_gone": _l(
        "Task “%(task)s” of case %(case)s is no longer waiting. Reload the case to see where it is."
    ),
    "changed": _l(
        "Case %(case)s was changed by someone else while you worked on it. Reload it and try again."
    ),
    "task_claimed": _l("Task “%(task)s” of case %(case)s was claimed by %(by)s. Nothing was changed."),
}


def error_text(error: FieldError) -> str:
    message = ERROR_MESSAGES.get(error.code)
    params = dict(error.params)
    if current_language() == "en":  # a parameter with an English twin (a field's label) says it in English
        params.update({key: params[f"{key}_en"] for key in list(params) if params.get(f"{key}_en")})
    return str(message) % params if message else error.code


def field_label(field: FieldDef) -> str:
    return field.label_en if current_language() == "en" and field.label_en else field.label


Labels = dict[str, VariableLabel]


def known_label(key: str, fields: dict[str, FieldDef], labels: Labels | None = None) -> str | None:
    """A data item's name: its form field's label, the diagram's label:<name> property, or the
    system's name for it; None when nothing names it (a script's working variable)."""
    field = fields.get(key)
    if field is not None:
        return field_label(field)
    label = (labels or {}).get(key)
    if label is not None:
        return label.label(current_language())
    system = SYSTEM_LABELS.get(key)
    return str(system) if system is not None else None


def data_label(key: str, fields: dict[str, FieldDef], labels: Labels | None = None) -> str:
    """A data item's name, or its raw name when nothing labels it."""
    return known_label(key, fields, labels) or key


def case_rows(
    data: dict[str, Any], fields: dict[str, FieldDef], labels: Labels | None = None
) -> list[tuple[str, str, str]]:
    """The case data panel as (key, label, shown value), sorted by key: only data something labels."""
    rows = []
    for key, value in sorted(data.items()):
        label = known_label(key, fields, labels)
        if label is not None:
            rows.append(
                (key, label, display_value(fields.get(key), mask(key, value), (labels or {}).get(key), key))
            )
    return rows


def mask(field_id: str, value: Any) -> Any:
    """Personal data of a complainant, masked for roles that do not need it (C7, M6)."""
    if value is None or field_id not in PERSONAL_FIELDS or current_user.sees_personal_data:
        return value
    text = str(value)
    if field_id == "customer_phone":
        return text[:3] + "****" + text[-4:] if len(text) >= 8 else "****"
    if field_id == "customer_name":
        return text[:1] + "*" * max(len(text) - 1, 1)
    return text[:6] + "…"


def _parsed(instance: Any) -> Any:
    return parsed_definition(runtime(), instance.definition)


def task_label(task: Any) -> str:
    """A task's name in the UI language (the diagram's name_en in English)."""
    if current_language() == "en":
        info = _parsed(task.instance).user_tasks.get(task.element_id)
        if info is not None and info.name_en:
            return info.name_en
    return task.name


def process_label(definition: Any) -> str:
    """A case's procedure by its name in the UI language (the diagram's process name_en in English)."""
    if current_language() == "en":
        parsed = parsed_definition(runtime(), definition)
        if parsed.name_en:
            return parsed.name_en
    return definition.name


def latest_parsed(key: str) -> Any:
    """The latest version of a procedure, parsed; None if none is deployed. Looked up once per request."""
    cache = g.setdefault("hotline_latest_parsed", {})
    if key not in cache:
        definition = latest_definition(db(), key, required=False)
        cache[key] = parsed_definition(runtime(), definition) if definition is not None else None
    return cache[key]


def process_choices() -> list[tuple[str, str]]:
    """(key, name) of every procedure, for filters and handover records, by name in the UI language."""
    names = list_process_names(db())
    if current_language() != "en":
        return names
    english = []
    for key, name in names:
        parsed = latest_parsed(key)
        english.append((key, parsed.name_en if parsed is not None and parsed.name_en else name))
    return english


def english_step_names(parsed: Any) -> dict[str, str]:
    """{Chinese name: English name} of a diagram's user tasks that have an English name."""
    return {info.name: info.name_en for info in parsed.user_tasks.values() if info.name_en}


def step_label(instance: Any, element_id: str | None, stored_name: str | None) -> str:
    """A history event's or deadline's step by the name in the UI language: the diagram's name_en for the
    element, else the name the event stored."""
    name = stored_name or ""
    if current_language() != "en" or instance is None or not element_id:
        return name
    parsed = _parsed(instance)
    info = parsed.user_tasks.get(element_id)
    if info is not None and info.name_en:
        return info.name_en
    return parsed.element_names_en.get(element_id) or name


def steps_label(definition: Any, stored: str | None) -> str:
    """A case's current step(s) as stored ('、'-joined task names) in the UI language, looked up by name in
    the case's diagram (a ProcessDefinition, or a process key for the latest version)."""
    if not stored or current_language() != "en" or not definition:
        return stored or ""
    parsed = (
        latest_parsed(definition) if isinstance(definition, str) else parsed_definition(runtime(), definition)
    )
    if parsed is None:
        return stored
    english = english_step_names(parsed)
    return ", ".join(english.get(part, part) for part in stored.split("、"))


def option_label(instance: Any, field_id: str) -> str:
    """A case's enum value (category, department, ...) by the name the diagram gives it, or the
    reference data's name when the diagram has no such field (a sampled callback's category)."""
    value = instance.data.get(field_id)
    if value is None:
        return ""
    field = _parsed(instance).fields.get(field_id)
    if field is not None:
        return enum_name(field, value)
    if field_id in REFERENCE_KINDS:
        return reference_name(field_id, value)
    label = _parsed(instance).variable_labels.get(field_id)
    return (label.value_name(value, current_language()) if label else None) or str(value)


def conflict_text(err: Conflict) -> str:
    params = dict(err.params)
    if "status" in params:
        params["status"] = str(TASK_STATUS.get(params["status"], params["status"]))
    if params.get("by"):
        params["by"] = person(params["by"])
    message = CONFLICT_MESSAGES.get(err.reason)
    try:
        return str(message) % params if message else str(err)
    except (KeyError, TypeError):
        return str(err)


def group_label(groups: str | None) -> str:
    """Candidate groups (comma-separated ids) by their names."""
    return "、".join(str(GROUP_LABELS.get(g, g)) for g in (groups or "").split(",") if g)


def actor_label(username: str) -> str:
    """Who did it, by display name (webforms/people.py)."""
    return person(username)


def can_do(task: Any) -> bool:
    """Whether the signed-in user holds one of the task's candidate groups."""
    return bool(set(task.candidate_groups.split(",")) & current_user.roles)


def record_unmasked_view(instance: Any, view: str) -> None:
    """M6: a user who sees a customer's personal data in full leaves a record (committed with the request)."""
    if current_user.sees_personal_data and holds_personal_data(instance.data):
        record_access(db(), runtime().clock, current_user.username, instance.id, view)


def record_unmasked_list(instances: Iterable[Any], view: str) -> None:
    """M6 for a list of cases (search results): each case whose customer is shown in full on the page is
    recorded, all in one statement. The list shows the customer's name (the summary column)."""
    if current_user.sees_personal_data:
        record_list_access(
            db(), runtime().clock, current_user.username, [i.id for i in instances if i.customer_name], view
        )


def local_time(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return value.astimezone(runtime().zone).strftime(fmt)


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
        return "、".join(display_value(field, v, label, key) for v in value) or "—"
    if field is not None and field.type == "enum":
        return enum_name(field, value)
    named = label.value_name(value, current_language()) if label is not None else None
    if named is not None:
        return named
    if field is None and key in REFERENCE_KINDS and isinstance(value, str):
        return reference_name(key, value)
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
    for key, (before, after) in sorted(changes.items()):
        label = known_label(key, fields, labels)
        if label is None and not raw:
            continue
        field = fields.get(key)
        variable = (labels or {}).get(key)
        if key == "candidate_groups":
            before, after = group_label(before) or None, group_label(after) or None
        shown_before = display_value(field, mask(key, before), variable, key)
        shown_after = display_value(field, mask(key, after), variable, key)
        if shown_before != shown_after:
            rows.append((label or key, shown_before, shown_after))
    return rows


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def init_app(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        field_label=field_label,
        data_label=data_label,
        error_text=error_text,
        mask=mask,
        display_value=display_value,
        event_kinds=EVENT_KINDS,
        can_do=can_do,
        task_label=task_label,
        option_label=option_label,
        step_label=step_label,
        steps_label=steps_label,
        process_label=process_label,
        visible_changes=visible_changes,
        case_rows=case_rows,
        localized_name=localized_name,
        group_label=group_label,
        actor_label=actor_label,
        enum_name=enum_name,
        department_routes=department_routes,
        option_groups=option_groups,
        datetime_input=datetime_input,
        time_left=time_left,
        duration_text=duration_text,
    )

    @app.errorhandler(Conflict)
    def _conflict(err: Conflict) -> tuple[str, int]:
        return _error_page(409, _("Someone was quicker"), conflict_text(err))

    @app.errorhandler(NotAllowed)
    def _not_allowed(err: NotAllowed) -> tuple[str, int]:
        return _error_page(403, _("Not your task"), str(err))

    @app.errorhandler(NotFound)
    def _not_found(err: NotFound) -> tuple[str, int]:
        return _error_page(404, _("Not found"), str(err))

    @app.errorhandler(ScriptFailed)
    def _script_failed(err: ScriptFailed) -> tuple[str, int]:
        return _error_page(
            500,
            _("A step of the procedure failed"),
            _("Nothing was saved. Tell the process owner: %(detail)s", detail=str(err)),
        )

    @app.errorhandler(403)
    def _forbidden(_err: Any) -> tuple[str, int]:
        return _error_page(403, _("Not allowed"), _("Your roles do not allow this page or action."))

    @app.errorhandler(404)
    def _missing(_err: Any) -> tuple[str, int]:
        return _error_page(404, _("Not found"), _("There is nothing at this address."))

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> tuple[str, int]:
        return _error_page(400, _("The form expired"), _("Reload the page and send the form again."))
