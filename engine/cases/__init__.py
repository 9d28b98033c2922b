"""One case, one step: the runner (start, complete, fire a timer), the stored workflow, the projections
pages read, history, effects, due timers, case files and the definitions a case runs on.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.cases.attachments import (
    MAX_BYTES,
    SWEEP_GRACE,
    AttachmentRefused,
    add_attachment,
    attachments_of,
    read_attachment,
    sweep_orphans,
)
from engine.cases.case_access import EVERY_CASE_ROLES, may_read_case, readable_cases, reads_every_case
from engine.cases.case_calls import LinkedCase, call_incidents, linked_cases
from engine.cases.contact_access import contact_kinds_of_tasks, contact_steps
from engine.cases.deadline_steps import ChaseNotice, chase_notice, chases_by_department, fired_chases
from engine.cases.definitions import (
    deployed_keys,
    get_version,
    has_version,
    latest_definition,
    list_definitions,
    list_process_names,
    parsed_definition,
)
from engine.cases.due_timers import recently_fired, retry_failed_timer, retry_timer, timers_by_state
from engine.cases.event_subscriptions import subscriptions_of, sync_event_subscriptions
from engine.cases.external_tasks import (
    LockedTask,
    extend_lock,
    external_incidents,
    external_task_by_id,
    fail_external_task,
    fetch_and_lock,
    open_external_tasks,
    retry_external_incident,
    unlock_external_task,
)
from engine.cases.history import case_history
from engine.cases.instance_parts import InstancePart, instance_parts
from engine.cases.pauses import PAUSE_REASONS, pause_task, resume_task
from engine.cases.projection import event_row, sync_timers, waiting_timers
from engine.cases.public_notices import (
    Outage,
    notice_of_case,
    notice_recipients,
    recent_notices,
    recent_outages,
    restored_case_ids,
)
from engine.cases.runner import (
    broadcast_signal,
    complete_external_task,
    complete_task,
    correlate_message,
    retry_case_call,
    start_case,
)
from engine.cases.search_text import normalized, search_text
from engine.cases.store import lock_case, save_workflow, take_case
from engine.cases.story import (
    case_deadlines,
    case_markers,
    case_number_of_timer,
    related_cases,
    tasks_of_case,
    timers_of_case,
)
from engine.cases.task_access import (
    check_member,
    claimed_conflict,
    closed_conflict,
    task_by_id,
    workable_task,
)

__all__ = [
    "InstancePart",
    "instance_parts",
    "ChaseNotice",
    "chase_notice",
    "chases_by_department",
    "fired_chases",
    "PAUSE_REASONS",
    "pause_task",
    "resume_task",
    "LinkedCase",
    "linked_cases",
    "call_incidents",
    "retry_case_call",
    "broadcast_signal",
    "correlate_message",
    "subscriptions_of",
    "sync_event_subscriptions",
    "LockedTask",
    "complete_external_task",
    "extend_lock",
    "external_incidents",
    "external_task_by_id",
    "fail_external_task",
    "fetch_and_lock",
    "open_external_tasks",
    "retry_external_incident",
    "unlock_external_task",
    "Outage",
    "contact_steps",
    "contact_kinds_of_tasks",
    "EVERY_CASE_ROLES",
    "AttachmentRefused",
    "MAX_BYTES",
    "SWEEP_GRACE",
    "add_attachment",
    "attachments_of",
    "case_deadlines",
    "case_history",
    "case_markers",
    "case_number_of_timer",
    "check_member",
    "claimed_conflict",
    "closed_conflict",
    "complete_task",
    "event_row",
    "get_version",
    "latest_definition",
    "deployed_keys",
    "has_version",
    "list_definitions",
    "list_process_names",
    "lock_case",
    "may_read_case",
    "normalized",
    "notice_of_case",
    "notice_recipients",
    "parsed_definition",
    "read_attachment",
    "readable_cases",
    "reads_every_case",
    "recent_notices",
    "recent_outages",
    "recently_fired",
    "related_cases",
    "restored_case_ids",
    "retry_failed_timer",
    "retry_timer",
    "save_workflow",
    "search_text",
    "start_case",
    "sweep_orphans",
    "sync_timers",
    "task_by_id",
    "take_case",
    "tasks_of_case",
    "timers_by_state",
    "timers_of_case",
    "waiting_timers",
    "workable_task",
]
