"""The intake form that opens a case: the start event's form where the diagram has one (camunda:formData),
else the form of the process's first user task."""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import ParsedDefinition, UserTaskInfo
from engine.cases import parsed_definition
from engine.db import ProcessDefinition
from engine.runtime import Runtime

# Parsed definitions are immutable per content hash, and so is their first task.
_intake_by_hash: dict[str, UserTaskInfo | None] = {}


def intake_task(engine: Runtime, parsed: ParsedDefinition) -> UserTaskInfo | None:
    if parsed.start_form is not None:
        return parsed.start_form
    if parsed.content_hash in _intake_by_hash:
        return _intake_by_hash[parsed.content_hash]
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=engine.script_engine)
    workflow.do_engine_steps()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    info = parsed.user_tasks.get(ready[0].task_spec.bpmn_id) if ready else None
    _intake_by_hash[parsed.content_hash] = info
    return info


@dataclass(frozen=True)
class Startable:
    key: str
    name: str
    name_en: str
    documentation: str
    groups: tuple[str, ...]
    description: str = ""
    description_en: str = ""

    def description_text(self, language: str) -> str:
        """What the procedure is for, told to staff (process property description / description_en)."""
        return self.description_en if language == "en" and self.description_en else self.description


def startable_processes(
    session: Session, engine: Runtime, roles: set[str] | frozenset[str], username: str = ""
) -> list[Startable]:
    """The procedures whose intake this person may fill in (ParsedDefinition.may_open), on their latest
    versions, by key."""
    newest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("version"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    definitions = session.scalars(
        select(ProcessDefinition)
        .join(
            newest, (ProcessDefinition.key == newest.c.key) & (ProcessDefinition.version == newest.c.version)
        )
        .order_by(ProcessDefinition.key)
    )
    found = []
    for definition in definitions:
        parsed = parsed_definition(engine, definition)
        info = intake_task(engine, parsed)
        if info is None:
            continue
        groups = parsed.starters or tuple(g.strip() for g in info.candidate_groups.split(",") if g.strip())
        if parsed.may_open(info, username, roles):
            found.append(
                Startable(
                    definition.key,
                    parsed.name,
                    parsed.name_en,
                    parsed.documentation,
                    groups,
                    parsed.description,
                    parsed.description_en,
                )
            )
    return found
