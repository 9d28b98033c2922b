"""Moving running cases from one version of their process to another.

A plan says, for each case, where each of its active tokens (open tasks, waiting timers) lands in the
new version, or why the case cannot move: an element it is at, or has passed, was removed or changed
its kind, or the form of its open task lost fields or changed their types. The plan is made by
migrating a copy of the case in memory, so the dry run shows exactly what applying will do. Applying
migrates the cases that can move, each in the caller's transaction with its history event; the others
stay on their version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn import DecisionTask, ParsedDefinition, candidate_groups_for, passed_element_ids
from engine.cases import (
    event_row,
    parsed_definition,
    save_workflow,
    sync_event_subscriptions,
    sync_timers,
    take_case,
    waiting_timers,
)
from engine.db import Event, HumanTask, HumanTaskGroup, ProcessAudit, ProcessDefinition, ProcessInstance
from engine.decisions import DecisionFailed, DecisionInvalid, decision_version, evaluate, table_of
from engine.errors import Conflict, NotFound
from engine.messages import N_, Coded, as_params
from engine.processes.versions import get_version
from engine.runtime import Actor, Runtime

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
PASSED = TaskState.COMPLETED | TaskState.CANCELLED

REASONS: dict[str, str] = {
    "element-removed": N_("'%(name)s' (%(element)s), where the case is, is not in version %(version)s"),
    "type-changed": N_("'%(name)s' is a %(new)s in version %(version)s, no longer a %(old)s"),
    "form-changed": N_(
        "the form of '%(name)s' changed in version %(version)s (%(fields)s); whoever works on it "
        "may have typed into the old one"
    ),
    "passed-element-removed": N_(
        "the case has passed '%(name)s' (%(element)s), which version %(version)s removed"
    ),
    "changed-meanwhile": N_(
        "someone completed a step of the case while it was being moved; run the dry run again"
    ),
}


@dataclass(frozen=True)
class Reason(Coded):
    """Why a case cannot move; a code with parameters, said in the user's language on the pages."""

    TEMPLATES: ClassVar[Mapping[str, str]] = REASONS

    code: str
    params: tuple[tuple[str, str], ...]


def _reason(code: str, **params: Any) -> Reason:
    return Reason(code, as_params(params))


@dataclass(frozen=True)
class TokenPlan:
    """One active token: where it is, and where it lands (None when it cannot be mapped)."""

    element_id: str
    element_name: str
    state: str
    target_id: str | None
    target_name: str | None


@dataclass(frozen=True)
class CasePlan:
    case_number: str
    instance_id: int
    instance_version: int
    process_key: str
    from_version: int
    to_version: int
    tokens: tuple[TokenPlan, ...]
    reasons: tuple[Reason, ...] = ()

    @property
    def mappable(self) -> bool:
        return not self.reasons


@dataclass
class MigrationResult:
    migrated: list[str] = field(default_factory=list)
    skipped: list[tuple[str, tuple[Reason, ...]]] = field(default_factory=list)


def _name(spec: Any) -> str:
    return str(spec.bpmn_name or spec.bpmn_id or spec.name)


def _form_change(old: ParsedDefinition, new: ParsedDefinition, element_id: str) -> str | None:
    """Fields the open task's form lost or whose type changed, as text; None if the form still fits."""
    old_info, new_info = old.user_tasks.get(element_id), new.user_tasks.get(element_id)
    if old_info is None or new_info is None:
        return None
    old_types = {f.id: f.type for f in old_info.fields}
    new_types = {f.id: f.type for f in new_info.fields}
    changes = [f"{fid} removed" for fid in sorted(old_types.keys() - new_types.keys())]
    changes += [
        f"{fid}: {old_types[fid]} → {new_types[fid]}"
        for fid in sorted(old_types.keys() & new_types.keys())
        if old_types[fid] != new_types[fid]
    ]
    return ", ".join(changes) or None


def _timer_expression(spec: Any) -> Any:
    definition = getattr(spec, "event_definition", None)
    return (type(definition).__name__, getattr(definition, "expression", None))


def _migrate_copy(
    engine: Runtime, workflow: BpmnWorkflow, old: ParsedDefinition, new: ParsedDefinition, to_version: int
) -> tuple[tuple[TokenPlan, ...], tuple[Reason, ...]]:
    """Migrate `workflow` (a copy nobody else holds) to the new spec; say where its tokens landed and
    why it could not move. The workflow is only usable when there are no reasons."""
    spec_diff = SpecDiff(engine.serializer.registry, workflow.spec, new.spec)
    tokens, reasons = [], []
    active = [t for t in workflow.get_tasks(state=ACTIVE) if t.task_spec.bpmn_id]
    for task in active:
        spec = task.task_spec
        target = spec_diff.alignment.get(spec)
        state = TaskState.get_name(task.state).lower()
        tokens.append(
            TokenPlan(
                spec.bpmn_id,
                _name(spec),
                state,
                target.bpmn_id if target else None,
                _name(target) if target else None,
            )
        )
        if target is None:
            reasons.append(
                _reason("element-removed", name=_name(spec), element=spec.bpmn_id, version=to_version)
            )
        elif type(target) is not type(spec):
            reasons.append(
                _reason(
                    "type-changed",
                    name=_name(spec),
                    old=type(spec).__name__,
                    new=type(target).__name__,
                    version=to_version,
                )
            )
        else:
            fields = _form_change(old, new, spec.bpmn_id)
            if fields:
                reasons.append(_reason("form-changed", name=_name(spec), fields=fields, version=to_version))
    # The tasks the workflow still holds, and those compaction cut off (engine.bpmn.compaction).
    passed = [t.task_spec for t in workflow.get_tasks(state=PASSED)]
    cut_off = passed_element_ids(workflow)
    passed += [s for s in workflow.spec.task_specs.values() if s.bpmn_id in cut_off]
    for spec in dict.fromkeys(passed):
        if spec_diff.alignment.get(spec, spec) is None and spec.bpmn_id:
            reasons.append(
                _reason(
                    "passed-element-removed",
                    name=_name(spec),
                    element=spec.bpmn_id,
                    version=to_version,
                )
            )
    if reasons:
        return tuple(tokens), tuple(dict.fromkeys(reasons))

    # A waiting timer keeps its computed due time unless the new version changed the timer itself.
    kept = {
        task.id: dict(task.internal_data)
        for task in workflow.get_tasks(state=TaskState.WAITING)
        if spec_diff.alignment.get(task.task_spec) is not None
        and _timer_expression(task.task_spec) == _timer_expression(spec_diff.alignment[task.task_spec])
    }
    migrate_workflow(WorkflowDiff(workflow, spec_diff), workflow, new.spec)
    workflow.subprocess_specs = new.subprocess_specs
    for task_id, internal in kept.items():
        task = workflow.tasks.get(task_id)
        if task is not None:
            task.internal_data = internal
    landed = {t.id for t in workflow.get_tasks(state=ACTIVE)}
    missing = [t for t in active if t.id not in landed]
    for task in missing:  # the new version's structure no longer reaches this token from where it was
        reasons.append(
            _reason(
                "element-removed",
                name=_name(task.task_spec),
                element=task.task_spec.bpmn_id,
                version=to_version,
            )
        )
    return tuple(tokens), tuple(reasons)


def _load_copy(engine: Runtime, instance: ProcessInstance, parsed: ParsedDefinition) -> BpmnWorkflow:
    """The case's workflow read from its stored state, never the shared cached object."""
    return engine.serializer.loads(instance.state, parsed, engine.script_engine)


def candidate_cases(
    session: Session,
    key: str,
    version: int,
    case_numbers: list[str] | None = None,
    at_element: str | None = None,
) -> list[ProcessInstance]:
    """Running cases on this version, optionally only these case numbers or those with an open task here."""
    definition = get_version(session, key, version)
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.definition_id == definition.id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)
    )
    if case_numbers is not None:
        query = query.where(ProcessInstance.case_number.in_(case_numbers))
    if at_element:
        query = query.where(
            ProcessInstance.id.in_(
                select(HumanTask.instance_id).where(
                    HumanTask.status == "open", HumanTask.element_id == at_element
                )
            )
        )
    return list(session.scalars(query))


def plan_case(engine: Runtime, instance: ProcessInstance, new_definition: ProcessDefinition) -> CasePlan:
    old = parsed_definition(engine, instance.definition)
    new = parsed_definition(engine, new_definition)
    tokens, reasons = _migrate_copy(
        engine, _load_copy(engine, instance, old), old, new, new_definition.version
    )
    return CasePlan(
        instance.case_number,
        instance.id,
        instance.version,
        instance.process_key,
        instance.definition.version,
        new_definition.version,
        tokens,
        reasons,
    )


def plan_migration(
    session: Session,
    runtime: Runtime,
    key: str,
    from_version: int,
    to_version: int,
    case_numbers: list[str] | None = None,
    at_element: str | None = None,
) -> list[CasePlan]:
    """The dry run: for each running case on `from_version`, where its tokens would land in `to_version`."""
    if from_version == to_version:
        raise ValueError("choose two different versions")
    target = get_version(session, key, to_version)
    return [
        plan_case(runtime, instance, target)
        for instance in candidate_cases(session, key, from_version, case_numbers, at_element)
    ]


def _refresh_open_tasks(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, new: ParsedDefinition
) -> None:
    """Open task rows take the new version's name and candidate groups of their element."""
    rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.status == "open")
    )
    tasks = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    for row in rows:
        task = tasks.get(row.task_guid)
        info = new.user_tasks.get(row.element_id)
        if task is None or info is None:
            continue
        groups = candidate_groups_for(info, task.data)
        row.name = task.task_spec.bpmn_name or row.element_id
        if row.candidate_groups != ",".join(groups):
            row.candidate_groups = ",".join(groups)
            row.groups = [HumanTaskGroup(group_name=g) for g in groups]


def migrate_case(
    session: Session,
    engine: Runtime,
    instance: ProcessInstance,
    new_definition: ProcessDefinition,
    actor: Actor,
) -> CasePlan:
    """Move one case to the new version if it can be; its history records the move. Returns its plan."""
    old_version = instance.definition.version
    old = parsed_definition(engine, instance.definition)
    new = parsed_definition(engine, new_definition)
    workflow = _load_copy(engine, instance, old)
    tokens, reasons = _migrate_copy(engine, workflow, old, new, new_definition.version)
    plan = CasePlan(
        instance.case_number,
        instance.id,
        instance.version,
        instance.process_key,
        old_version,
        new_definition.version,
        tokens,
        reasons,
    )
    if reasons:
        return plan
    now = engine.clock.now()
    take_case(session, instance)
    filled = _fill_from_new_decisions(session, instance, workflow, old, new)
    sync_timers(session, instance, workflow, waiting_timers(workflow), now)
    _refresh_open_tasks(session, instance, workflow, new)
    values: dict[str, Any] = {"definition_id": new_definition.id, "updated_at": now}
    added = {name: None for name in new.fields.keys() - old.fields.keys() if name not in instance.data}
    if filled or added:
        values["data"] = {**instance.data, **added, **{name: change[1] for name, change in filled.items()}}
    save_workflow(session, engine, instance, workflow, values)
    if "events" in old.outside_waits | new.outside_waits:
        # The case's subscription rows follow the workflow with every save: a unit that loads it later
        # takes them as its waiting steps say, without reading them.
        sync_event_subscriptions(session, instance, workflow, now)
    set_committed_value(instance, "definition", new_definition)
    steps = sorted({t.target_name or t.target_id or "" for t in tokens})
    session.execute(
        insert(Event),
        [
            event_row(
                instance.id,
                now,
                actor.username,
                "case_migrated",
                None,
                new.name,
                {
                    "process_version": [old_version, new_definition.version],
                    "steps": [None, steps],
                    **filled,
                },
            )
        ],
    )
    return plan


def _task_specs(parsed: ParsedDefinition) -> list[Any]:
    specs = list(parsed.spec.task_specs.values())
    for sub in parsed.subprocess_specs.values():
        specs.extend(sub.task_specs.values())
    return specs


def _fill_from_new_decisions(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    old: ParsedDefinition,
    new: ParsedDefinition,
) -> dict[str, list[Any]]:
    """A business rule task the new version added, which the old one never ran: what its decision gives
    for the case goes into the case where the case lacks it, so the new version's later steps that read
    it (a repair's onsite_limit_minutes, from the routing table) find it. The decision's newest (or fixed)
    version decides, as when the step runs; a decision that is not deployed or gives no answer fills
    nothing. Returns the values filled, as history changes. Form fields the new version added are set
    empty in the case's tokens where missing."""
    old_ids = {spec.bpmn_id for spec in _task_specs(old)}
    tokens = workflow.get_tasks(state=ACTIVE)
    filled: dict[str, list[Any]] = {}
    for spec in _task_specs(new):
        if not isinstance(spec, DecisionTask) or spec.bpmn_id in old_ids:
            continue
        data = {**instance.data, **{name: change[1] for name, change in filled.items()}}
        try:
            outputs = evaluate(
                table_of(decision_version(session, spec.decision_ref, spec.decision_version)), data
            )
        except (NotFound, DecisionInvalid, DecisionFailed):
            continue
        for name, value in outputs.items():
            if value is not None and data.get(name) is None:
                filled[name] = [None, value]
    for task in tokens:
        task.data.update({name: change[1] for name, change in filled.items() if task.data.get(name) is None})
        # A form field the new version added, which the case was never asked: empty, as an optional field
        # left blank is, so a later step reading it finds it (a repair's upstream_deadline).
        for name in new.fields.keys() - old.fields.keys():
            task.data.setdefault(name, None)
    return filled


def apply_migration(
    session: Session, runtime: Runtime, plans: list[CasePlan], actor: Actor, comment: str = ""
) -> MigrationResult:
    """Migrate the cases of a dry run that can move, planning each again against its current state
    (someone may have completed a task since). Cases that cannot move stay on their version."""
    result = MigrationResult()
    if not plans:
        return result
    key, from_version, to_version = plans[0].process_key, plans[0].from_version, plans[0].to_version
    if any((p.process_key, p.from_version, p.to_version) != (key, from_version, to_version) for p in plans):
        raise ValueError("a migration moves cases of one process from one version to one other")
    target = get_version(session, key, to_version)
    for plan in plans:
        instance = session.get(ProcessInstance, plan.instance_id)
        if instance is None:
            raise NotFound(f"no case {plan.case_number}")
        if instance.status != "running" or instance.definition.version != from_version:
            continue
        if not plan.mappable:
            result.skipped.append((plan.case_number, plan.reasons))
            continue
        try:
            with session.begin_nested():  # a case that cannot be saved leaves the others moved
                done = migrate_case(session, runtime, instance, target, actor)
        except Conflict:
            session.expire(instance)
            result.skipped.append((plan.case_number, (_reason("changed-meanwhile"),)))
            continue
        if done.mappable:
            result.migrated.append(plan.case_number)
        else:
            result.skipped.append((plan.case_number, done.reasons))
    session.add(
        ProcessAudit(
            at=runtime.clock.now(),
            actor=actor.username,
            action="migrate",
            source="migration",
            process_key=key,
            version=to_version,
            from_version=from_version,
            comment=comment.strip(),
            details={"migrated": result.migrated, "skipped": [number for number, _r in result.skipped]},
        )
    )
    session.flush()
    return result
