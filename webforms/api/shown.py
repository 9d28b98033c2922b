"""Cases, tasks and forms as the API returns them: plain values, masked for the client's role exactly
as the pages mask them (webforms.people.masking), and only the data something labels, as on the case
page (supervisors see the rest by its raw names)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from engine.bpmn import FieldDef
from engine.db import Event, HumanTask, ProcessInstance
from webforms.labels import Labels, known_label
from webforms.people.masking import mask
from webforms.shown_values import sees_raw_data


def _shown(key: str, fields: Mapping[str, FieldDef], labels: Labels | None, raw: bool) -> bool:
    return raw or known_label(key, dict(fields), labels) is not None


def case_summary(instance: ProcessInstance, fields: Mapping[str, FieldDef] | None = None) -> dict[str, Any]:
    return {
        "number": instance.case_number,
        "procedure": instance.process_key,
        "status": instance.status,
        "version": instance.version,
        "category": instance.category,
        "department": instance.department,
        "priority": instance.priority,
        "customer_name": mask("customer_name", instance.customer_name, fields),
        "customer_phone": mask("customer_phone", instance.customer_phone, fields),
        "address": mask("address", instance.address, fields),
        "current_step": instance.current_step,
        "opened_at": instance.opened_at,
        "closed_at": instance.closed_at,
    }


def case_data(
    data: Mapping[str, Any], fields: Mapping[str, FieldDef], labels: Labels | None
) -> dict[str, Any]:
    raw = sees_raw_data()
    return {key: mask(key, value, fields) for key, value in data.items() if _shown(key, fields, labels, raw)}


def history(
    events: Iterable[Event], fields: Mapping[str, FieldDef], labels: Labels | None
) -> list[dict[str, Any]]:
    raw = sees_raw_data()
    shown = []
    for event in events:
        changes = {}
        for key, change in (event.changes or {}).items():
            if (
                not _shown(key, fields, labels, raw)
                or not isinstance(change, list | tuple)
                or len(change) != 2
            ):
                continue
            before, after = change
            changes[key] = {"before": mask(key, before, fields), "after": mask(key, after, fields)}
        shown.append(
            {
                "at": event.at,
                "actor": event.actor,
                "kind": event.kind,
                "element_id": event.element_id,
                "element_name": event.element_name,
                "changes": changes,
            }
        )
    return shown


def deadlines(found: Iterable[Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": d.kind,
            "element_id": d.element_id,
            "name": d.name,
            "due_at": d.due_at,
            "done_at": d.done_at,
            "status": d.status,
            "late_by_seconds": int(d.late_by.total_seconds()),
        }
        for d in found
    ]


def task_summary(task: HumanTask) -> dict[str, Any]:
    return {
        "id": task.id,
        "case_number": task.instance.case_number,
        "procedure": task.instance.process_key,
        "element_id": task.element_id,
        "name": task.name,
        "candidate_groups": [g for g in task.candidate_groups.split(",") if g],
        "assignee": task.assignee,
        "status": task.status,
        "created_at": task.created_at,
        "due_at": task.due_at,
    }


def form_field(field: FieldDef) -> dict[str, Any]:
    return {
        "id": field.id,
        "type": field.type,
        "label": field.label,
        "label_en": field.label_en,
        "required": field.required,
        "readonly": field.readonly,
        "default": field.default,
        "min_length": field.min_length,
        "max_length": field.max_length,
        "min_value": field.min_value,
        "max_value": field.max_value,
        "pattern": field.pattern,
        "personal": field.personal,
        "options": [{"id": o.id, "name": o.name, "name_en": o.name_en} for o in field.options],
    }


def masked_values(values: Mapping[str, Any], fields: Mapping[str, FieldDef]) -> dict[str, Any]:
    return {key: mask(key, value, fields) for key, value in values.items()}


def etag(instance: ProcessInstance) -> str:
    return f'"{instance.version}"'


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
