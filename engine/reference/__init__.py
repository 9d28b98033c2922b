"""Reference data: departments and categories with their routes and deadlines, where cases come from, the candidate groups
diagrams may name, and the record of administrative changes.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.reference.admin import REFERENCE_PROBLEMS, department_uses
from engine.reference.audit import admin_events, changes_between, record_admin_change
from engine.reference.data import (
    DEFAULT_ONSITE_MINUTES,
    DEFAULT_SOURCE,
    HOT_SPOT_SOURCE,
    ReferenceData,
    Router,
    default_reference_data,
    fill_suggested,
    forget_snapshots,
    load_reference_data,
    reference_session,
    script_lookups,
    seed_reference_data,
    unit_reference,
    with_reference_options,
)
from engine.reference.groups import EXTRA_GROUPS, STAFF_ROLES, is_role_name, known_groups, known_usernames
from engine.reference.stamp import note_reference_stamp, reference_stamp
from engine.reference.use_cases import (
    add_case_source_form,
    add_department_form,
    save_case_source_form,
    save_category_form,
    save_department_form,
)

__all__ = [
    "Router",
    "REFERENCE_PROBLEMS",
    "EXTRA_GROUPS",
    "STAFF_ROLES",
    "DEFAULT_ONSITE_MINUTES",
    "DEFAULT_SOURCE",
    "HOT_SPOT_SOURCE",
    "ReferenceData",
    "add_case_source_form",
    "add_department_form",
    "admin_events",
    "changes_between",
    "default_reference_data",
    "forget_snapshots",
    "department_uses",
    "fill_suggested",
    "is_role_name",
    "known_groups",
    "known_usernames",
    "load_reference_data",
    "note_reference_stamp",
    "record_admin_change",
    "reference_stamp",
    "reference_session",
    "save_case_source_form",
    "save_category_form",
    "save_department_form",
    "script_lookups",
    "seed_reference_data",
    "unit_reference",
    "with_reference_options",
]
