"""Names of things on pages, in the user's language: form fields and their errors, data items, history
events, task states and candidate groups."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.bpmn import CANDIDATE_USER, FieldDef, FieldError, VariableLabel
from engine.db import Department
from engine.messages import say
from engine.messaging import PLATFORM_PROBLEMS, WEBHOOK_PROBLEMS
from engine.people import ACCOUNT_PROBLEMS, API_CLIENT_PROBLEMS
from engine.reference import REFERENCE_PROBLEMS
from webforms.database import reading_session
from webforms.i18n import current_language, list_separator
from webforms.people.names import person

ERROR_MESSAGES = {
    "required": _l("This field is required."),
    "not_boolean": _l("Choose yes or no."),
    "not_integer": _l("Enter a whole number."),
    "min_value": _l("Enter a number of at least %(min)s."),
    "max_value": _l("Enter a number of at most %(max)s."),
    "not_date": _l("Enter a date as YYYY-MM-DD."),
    "not_datetime": _l("Enter a date and time as YYYY-MM-DD HH:MM."),
    "year_out_of_range": _l("Enter a year from %(first)s to %(last)s."),
    "control_character": _l(
        "This field holds a control character (%(code)s) that cannot be kept; retype the text instead of "
        "pasting it."
    ),
    "not_option": _l("Choose one of the listed values."),
    "taken": _l("This code is already used."),
    "not_email": _l("Enter an e-mail address, e.g. name@example.com."),
    "already_listed": _l("This address is already on the list."),
    "min_length": _l("Enter at least %(min)s characters; a Chinese character counts as two."),
    "max_length": _l("Enter at most %(max)s characters."),
    "pattern": _l("The format is not valid (for a phone: 13812345678 or 0951-5012345)."),
    "before_other": _l("This may not be earlier than “%(other)s”."),
    "same_as_other": _l("Choose another value than “%(other)s”."),
    "parts_awaited": _l(
        "The assisting departments' answers are not all in yet (awaited: %(parts)s). Reply once they are, "
        "or once their deadline has passed."
    ),
    "after_onsite_limit": _l(
        "Later than the on-site limit (%(limit)s) for this category: promise an earlier time, or say why "
        "in the reason field."
    ),
    "resume_in_past": _l("Choose a time in the future for the task to resume."),
    "not_signature": _l("The signature could not be read; clear it and sign again."),
    "signature_too_large": _l("The signature image is larger than %(kb)s KB; clear it and sign again."),
    "attachment_required": _l(
        "Attach the evidence to this step first: choose the file under Attachments and press “Attach” (a "
        "file chosen there is not sent with this form, so choose it again if you had), then send the form "
        "again; what you typed is kept."
    ),
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
    "external_task_waiting": _l("Waiting for an external worker"),
    "external_task_completed": _l("Done by an external worker"),
    "external_task_failed": _l("External worker failed, to be tried again"),
    "message_received": _l("Message received"),
    "case_called": _l("Case of another procedure opened"),
    "called_case_ended": _l("Called case ended"),
    "signal_received": _l("Signal received"),
    "task_claimed": _l("Task claimed"),
    "task_claimed_on_completion": _l("Task claimed on completion"),
    "attachment_added": _l("File attached"),
    "task_released": _l("Task released"),
    "task_reassigned": _l("Task reassigned"),
    "case_migrated": _l("Moved to another version of the procedure"),
    "message_sent": _l("Message sent"),
    "messages_sent": _l("Messages sent"),
    "message_delivered": _l("Message delivered"),
    "message_retrying": _l("Message to be tried again"),
    "message_failed": _l("Message failed"),
    "message_resumed": _l("Message sent again after a stop"),
    "message_retried": _l("Message retried"),
    "note_added": _l("Note added"),
    "deadline_warning": _l("Deadline warning (yellow)"),
    "deadline_escalated": _l("Chased after the deadline (red)"),
    "task_paused": _l("Clock paused"),
    "task_resumed": _l("Clock resumed"),
    "case_merged": _l("Merged into another case"),
    "duplicate_merged": _l("A duplicate merged into this case"),
    "case_linked": _l("Linked with a related case"),
    "outage_call": _l("Call about this outage"),
    "group_alert": _l("Group alert: many calls from one building"),
    "reply_sent": _l("Reply sent to the customer"),
    "platform_reply_queued": _l("Reply to the platform queued"),
    "reply_not_sent": _l("Reply not sent"),
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
    "level": _l("Level"),
    "pause_reason": _l("Reason for the pause"),
    "pause_note": _l("Note"),
    "paused_until": _l("Resumes by itself at"),
    "due": _l("Deadline"),
    "paused_minutes": _l("Working minutes paused"),
    "resumed_automatically": _l("Resumed at the agreed time"),
    "notice": _l("Notice"),
    "error": _l("Error"),
    "assignee": _l("Assignee"),
    "handover_reason": _l("Reason for the handover"),
    "attachment": _l("File"),
    "note": _l("Case note"),
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

# A webhook delivery's state: its outbox message's.
DELIVERY_STATUS = {
    "pending": _l("waiting"),
    "sending": _l("being sent"),
    "sent": _l("delivered"),
    "failed": _l("failed"),
}

TASK_STATUS = {
    "open": _l("open"),
    "completed": _l("completed"),
    "cancelled": _l("cancelled"),
    "incident": _l("an incident"),
}


def error_text(error: FieldError) -> str:
    message = ERROR_MESSAGES.get(error.code)
    params = dict(error.params)
    template = (
        ACCOUNT_PROBLEMS.get(error.code)
        or REFERENCE_PROBLEMS.get(error.code)
        or API_CLIENT_PROBLEMS.get(error.code)
        or WEBHOOK_PROBLEMS.get(error.code)
        or PLATFORM_PROBLEMS.get(error.code)
    )
    if message is None and template is not None:
        return say(template, params, gettext)
    if error.code == "and_attachment_required":  # the field's own problem, then the missing file
        own = FieldError(str(params.pop("own", "")), params)
        # Chinese sentences follow each other without a space; English ones with one.
        gap = " " if current_language() == "en" else ""
        return f"{error_text(own)}{gap}{error_text(FieldError('attachment_required'))}"
    if error.code == "parts_awaited":  # the assisting departments still awaited, by their names
        params["parts"] = group_label(str(params.get("parts", "")))
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


def group_label(groups: str | None) -> str:
    """Candidate groups (comma-separated ids) by their names; a person named as a candidate by theirs."""
    ids = [g for g in (groups or "").split(",") if g]
    names = GROUP_LABELS if all(g in GROUP_LABELS for g in ids) else _group_names()
    return list_separator().join(
        person(g[len(CANDIDATE_USER) :]) if g.startswith(CANDIDATE_USER) else str(names.get(g, g))
        for g in ids
    )


def _group_names() -> dict[str, Any]:
    """The known labels and, for a department an administrator added, its name: read once per request."""
    if "hotline_group_names" not in g:
        english = current_language() == "en"
        added = {
            code: (name_en if english and name_en else name)
            for code, name, name_en in reading_session().execute(
                select(Department.code, Department.name, Department.name_en)
            )
            if code not in GROUP_LABELS
        }
        g.hotline_group_names = {**GROUP_LABELS, **added}
    return g.hotline_group_names


def actor_label(username: str) -> str:
    """Who did it, by display name (webforms/people/names.py)."""
    return person(username)
