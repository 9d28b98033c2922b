"""Procedures and their steps by the names the diagram gives them in the user's language (name_en in
English), and the list of procedures for filters."""

from __future__ import annotations

from typing import Any

from flask import g

from engine.cases import latest_definition, list_process_names, parsed_definition
from engine.db import ProcessDefinition
from webforms.database import reading_session, runtime
from webforms.i18n import current_language
from webforms.reference.labels import REFERENCE_KINDS, enum_name, reference_name


def _parsed(instance: Any) -> Any:
    return parsed_definition(runtime(), instance.definition)


def task_label(task: Any, language: str | None = None) -> str:
    """A task's name in `language` (by default the UI language): the diagram's name_en in English."""
    if (language or current_language()) == "en":
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
        definition = latest_definition(reading_session(), key, required=False)
        cache[key] = parsed_definition(runtime(), definition) if definition is not None else None
    return cache[key]


def process_choices() -> list[tuple[str, str]]:
    """(key, name) of every procedure, for filters and handover records, by name in the UI language."""
    names = list_process_names(reading_session())
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
    if current_language() != "en" or instance is None:
        return name
    parsed = _parsed(instance)
    if not element_id:
        # An event of the whole case (opened, moved to another version) names its procedure.
        return parsed.name_en if parsed.name_en and name == parsed.name else name
    info = parsed.user_tasks.get(element_id)
    if info is not None and info.name_en:
        return info.name_en
    return parsed.element_names_en.get(element_id) or name


def element_label(definition_id: int | None, element_id: str) -> str:
    """A diagram element (a deadline's timer event, say) by the name the diagram gives it in the UI
    language; its id when the diagram names it not. Each version is parsed once per request."""
    if definition_id is None:
        return element_id
    cache = g.setdefault("hotline_parsed_by_id", {})
    if definition_id not in cache:
        definition = reading_session().get(ProcessDefinition, definition_id)
        cache[definition_id] = parsed_definition(runtime(), definition) if definition is not None else None
    parsed = cache[definition_id]
    if parsed is None:
        return element_id
    if current_language() == "en" and parsed.element_names_en.get(element_id):
        return str(parsed.element_names_en[element_id])
    return str(parsed.element_names.get(element_id) or element_id)


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


def user_task_names(parsed: Any) -> dict[str, str]:
    """{element id: name in the UI language} of a diagram's user tasks."""
    english = current_language() == "en"
    return {
        element_id: (info.name_en if english and info.name_en else info.name)
        for element_id, info in parsed.user_tasks.items()
    }


def element_labels(parsed: Any) -> dict[str, str]:
    """{element id: English name} of every element of a diagram that has one, in English; empty in
    Chinese (the diagram's own names are Chinese). Pages look names up here before showing the stored one."""
    if current_language() != "en" or parsed is None:
        return {}
    labels = dict(parsed.element_names_en)
    labels.update(
        {element_id: info.name_en for element_id, info in parsed.user_tasks.items() if info.name_en}
    )
    return labels
