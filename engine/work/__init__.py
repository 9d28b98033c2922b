"""Staff's work: intake, the tasklist, claims, drafts, attachments, messages — and the use cases the
web, the command line and jobs share.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.work.attachment_access import is_signature
from engine.work.case_tracking import TrackAnswer, TrackedCase, track_case
from engine.work.claims import (
    SUPERVISING_ROLES,
    eligible_assignees,
    group_members,
    suitable_groups,
    suitable_people,
)
from engine.work.customer_contact import customer_contact_kinds
from engine.work.dispatch import StaffChoice, onsite_limit, staff_choices
from engine.work.duplicates import LikelyDuplicate, building_of, likely_duplicates, outages_covering
from engine.work.external_work import (
    complete_external,
    extend_external_lock,
    fail_external,
    fetch_and_lock_tasks,
    retry_external_task_incident,
    send_message,
    send_signal,
    unlock_external,
)
from engine.work.group_alerts import recent_group_alerts
from engine.work.intake import intake_task, startable_processes
from engine.work.intake_keys import new_intake_key, valid_intake_key
from engine.work.maintenance_orders import (
    MAINTENANCE_PROCESS,
    MaintenanceOrder,
    open_maintenance_order,
    orders_of_day,
)
from engine.work.merging import (
    MERGED_STATUS,
    MERGING_ROLES,
    CaseLinks,
    LinkRefused,
    links_of,
    outage_call_count,
)
from engine.work.messages import case_numbers, notifications_for, unread_count
from engine.work.notes import MAX_NOTE_LENGTH, NoteRefused, notes_of
from engine.work.platform_replies import PlatformGateway
from engine.work.site_visit import one_tap_field
from engine.work.tasklist import (
    COUNT_LIMIT,
    TABS,
    TaskFilter,
    case_by_number,
    open_tasks_for,
    open_tasks_of_case,
    tasklist_page,
)
from engine.work.use_cases import (
    RecordedCall,
    SiteArrival,
    arrive_on_site,
    attach_file,
    claim_task,
    complete_task,
    count_outage_call,
    hand_task_to_group,
    link_related,
    mark_notifications_read,
    merge_cases,
    pause_task,
    reassign_task,
    record_call,
    record_duplicate_call,
    release_task,
    resume_task,
    save_task_draft,
    write_note,
)

__all__ = [
    "MAINTENANCE_PROCESS",
    "MaintenanceOrder",
    "open_maintenance_order",
    "orders_of_day",
    "PlatformGateway",
    "send_message",
    "send_signal",
    "complete_external",
    "extend_external_lock",
    "fail_external",
    "fetch_and_lock_tasks",
    "retry_external_task_incident",
    "unlock_external",
    "CaseLinks",
    "LikelyDuplicate",
    "LinkRefused",
    "MERGED_STATUS",
    "MERGING_ROLES",
    "building_of",
    "recent_group_alerts",
    "count_outage_call",
    "likely_duplicates",
    "link_related",
    "links_of",
    "merge_cases",
    "outage_call_count",
    "outages_covering",
    "record_duplicate_call",
    "COUNT_LIMIT",
    "MAX_NOTE_LENGTH",
    "NoteRefused",
    "notes_of",
    "write_note",
    "RecordedCall",
    "TrackAnswer",
    "TrackedCase",
    "track_case",
    "SUPERVISING_ROLES",
    "SiteArrival",
    "StaffChoice",
    "TABS",
    "TaskFilter",
    "arrive_on_site",
    "attach_file",
    "case_by_number",
    "case_numbers",
    "claim_task",
    "complete_task",
    "customer_contact_kinds",
    "eligible_assignees",
    "group_members",
    "hand_task_to_group",
    "intake_task",
    "is_signature",
    "mark_notifications_read",
    "pause_task",
    "resume_task",
    "new_intake_key",
    "notifications_for",
    "one_tap_field",
    "onsite_limit",
    "open_tasks_for",
    "open_tasks_of_case",
    "reassign_task",
    "record_call",
    "release_task",
    "save_task_draft",
    "staff_choices",
    "startable_processes",
    "suitable_groups",
    "suitable_people",
    "tasklist_page",
    "unread_count",
    "valid_intake_key",
]
