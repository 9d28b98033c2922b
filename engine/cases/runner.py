"""Units of work: start a case, complete a task, fire a timer.

Each function takes the caller's session and writes everything of one step — state, task and timer
projections, history, version + 1 — into it. The caller (request, CLI command, timer job) commits;
nothing here does. If anything fails, the caller's rollback leaves the case as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EndEvent, ScriptTask
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from engine.bpmn import (
    CaseCall,
    DecisionTask,
    DrawnImage,
    FieldDef,
    FieldError,
    ParsedDefinition,
    candidate_groups_for,
    decisions_in_use,
    due_time,
    is_instance,
    move_due,
    repetition,
    results_name,
    validate_form,
    waiting_case_calls,
)
from engine.cases.attachments import add_attachment
from engine.cases.case_access import may_read_case, reads_every_case
from engine.cases.case_calls import FAILED_CALL, RETRY, call_links, open_call_of_child
from engine.cases.case_numbers import next_case_number
from engine.cases.deadline_plans import plan_steps
from engine.cases.definitions import get_version, latest_definition_noting_stamp, parsed_definition
from engine.cases.effects import (
    active_supervisors,
    chase_overdue,
    publish_notice,
    send_notifications,
    send_reply,
)
from engine.cases.event_subscriptions import (
    SIGNAL,
    message_subscription,
    signal_subscriptions,
    sync_event_subscriptions,
    waiting_guids,
)
from engine.cases.external_tasks import checked_variables, locked_by, sync_external_tasks
from engine.cases.history import data_diff
from engine.cases.projection import (
    EventRow,
    apply_parameters,
    event_row,
    first_summary,
    is_repeating_timer,
    open_task_rows,
    open_work,
    pending_timer_dues,
    ready_user_task,
    ready_user_tasks,
    summary_values,
    sync_human_tasks,
    sync_timers,
    timers_may_fire,
    waiting_timers,
)
from engine.cases.store import insert_case, load_workflow, save_workflow, take_case, take_case_and_caller
from engine.cases.task_access import check_member, claimed_conflict, closed_conflict, workable_task
from engine.cases.timer_groups import FiringGroup
from engine.db import CaseCallRow as CaseCallLink
from engine.db import DriverStatement, Event, HumanTask, ProcessInstance, Timer, write
from engine.decisions import decision_evaluator, route
from engine.errors import Conflict, FormInvalid, HotlineError, NotAllowed, NotFound, ScriptFailed
from engine.messaging import events_of_history, queue_platform_reply, queue_webhooks
from engine.reference import (
    ReferenceData,
    fill_suggested,
    reference_session,
    unit_reference,
    with_reference_options,
)
from engine.runtime import SYSTEM, Actor, MessagingPolicy, Runtime


@dataclass
class _Unit:
    """What one unit of work has done so far, to be written when it saves."""

    instance: ProcessInstance
    workflow: BpmnWorkflow
    parsed: ParsedDefinition
    now: datetime
    actor: Actor
    data: dict[str, Any] = field(default_factory=dict)
    completed_guid: str | None = None
    events: list[EventRow] = field(default_factory=list)
    # Timers that fell due and fired within this unit (e.g. a deadline already past when its task opened).
    fired_timers: list[SpiffTask] = field(default_factory=list)
    # The case's open task rows as read after its lock (None: read them when saving), and whether the
    # case was opened in this unit (it has no task or timer rows to read yet).
    open_rows: dict[str, HumanTask] | None = None
    new_case: bool = False
    # The case's unfired timer rows by task guid with their due times, as known from the workflow it
    # loaded (None: read them when saving).
    pending_timers: dict[str, datetime] | None = None
    # The case's unfired timer rows as read after its lock (None: read them when saving).
    timer_rows: dict[str, Timer] | None = None
    # The group of timer firings this unit belongs to (engine.cases.timer_groups), if any.
    group: FiringGroup | None = None
    # Whether another case's call activity waits for this case to end, as the case's lock found it (None:
    # not known, look when the case ends).
    caller_waits: bool | None = None
    # The reference data as this unit read it to check a form, for the next form it checks.
    reference: ReferenceData | None = None
    # How the SMS and e-mail this unit decides are written (the runtime's).
    messaging: MessagingPolicy = field(default_factory=MessagingPolicy)
    # The timers that fired as a task's deadline (webhooks' deadline.passed).
    deadline_timers: list[str] = field(default_factory=list)
    # The tasks the case's message and signal subscription rows are for, as known from the workflow it
    # loaded under its lock (None: read them when saving).
    subscriptions: frozenset[str] | None = None

    @property
    def engine_zone(self) -> ZoneInfo:
        zone: ZoneInfo = self.workflow.script_engine.zone
        return zone


def _completed_ids(workflow: BpmnWorkflow) -> set[UUID]:
    # `workflow.tasks` holds the tasks SpiffWorkflow's tree walk reaches, and is far quicker to look at.
    return {t.id for t in workflow.tasks.values() if t.state == TaskState.COMPLETED}


def _advance(session: Session, workflow: BpmnWorkflow, refresh_timers: bool = False) -> list[SpiffTask]:
    """Run automatic steps (scripts, gateways, due timers); return the tasks they completed, in order."""
    before = _completed_ids(workflow)
    repeated = _repetitions(workflow)
    try:
        with reference_session(session), decisions_in_use(decision_evaluator(session)):
            if refresh_timers:
                workflow.refresh_timers()
            workflow.do_engine_steps()
    except SpiffWorkflowException as err:
        task_spec = getattr(err, "task_spec", None)
        element = getattr(task_spec, "bpmn_id", None) or getattr(task_spec, "name", "?")
        raise ScriptFailed.from_spiff(str(element), err) from err
    except HotlineError:
        raise  # the sandbox's and the engine's own refusals say themselves
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as err:
        # SpiffWorkflow's own code on data it did not expect (a multi-instance task without its collection,
        # in a version deployed before validation refused it): a failed step that says so, not a traceback.
        raise ScriptFailed(
            _running_element(workflow), f"the engine could not run this step ({type(err).__name__}: {err})"
        ) from err
    done = [t for t in workflow.tasks.values() if t.state == TaskState.COMPLETED and t.id not in before]
    done.sort(key=lambda t: t.last_state_change)
    # A repeating timer that fired keeps waiting for its next time: it is told before the path it ran.
    fired_again = [t for t, n in _repetitions(workflow).items() if n > repeated.get(t, 0)]
    return [workflow.tasks[t] for t in fired_again] + done


def _repetitions(workflow: BpmnWorkflow) -> dict[UUID, int]:
    """How many times each waiting repeating timer has fired so far."""
    return {
        t.id: repetition(t)
        for t in workflow.tasks.values()
        if t.state == TaskState.WAITING and is_repeating_timer(t)
    }


def _running_element(workflow: BpmnWorkflow) -> str:
    """The step the engine was running when it failed, as well as it can be told: the first automatic
    one ready to run, else one it had begun (a multi-instance task waits while the engine splits it)."""
    ready = sorted(workflow.get_tasks(state=TaskState.READY), key=lambda t: bool(t.task_spec.manual))
    begun = workflow.get_tasks(state=TaskState.STARTED | TaskState.WAITING)
    for task in [*ready, *begun]:
        element = getattr(task.task_spec, "bpmn_id", None)
        if element:
            return str(element)
    return "?"


def _step_kind(spec: TaskSpec) -> str | None:
    if isinstance(spec, ScriptTask | DecisionTask):
        return "script_ran"
    if isinstance(spec, EndEvent):
        return "end_reached"
    if isinstance(spec, CatchingEvent) and isinstance(
        getattr(spec, "event_definition", None), TimerEventDefinition
    ):
        return "timer_fired"
    return None


def _record_steps(session: Session, unit: _Unit, done: list[SpiffTask]) -> None:
    """History events for the automatic steps a person cares about, with the data each changed."""
    for task in done:
        spec = task.task_spec
        kind = _step_kind(spec)
        if kind == "timer_fired":
            unit.fired_timers.append(task)
            _chase_if_deadline(session, unit, task)
        if kind is not None:
            changes = _step_changes(unit.data, task)
            unit.data.update({k: v[1] for k, v in changes.items()})
            unit.events.append(
                event_row(
                    unit.instance.id,
                    unit.now,
                    SYSTEM.username,
                    kind,
                    spec.bpmn_id,
                    spec.bpmn_name or spec.bpmn_id,
                    changes,
                )
            )
        _carry_out_effects(session, unit, spec.bpmn_id, task.data)


def _step_changes(case_data: dict[str, Any], task: SpiffTask) -> dict[str, list[Any]]:
    """What an automatic step changed, before → after as the case saw it.

    The keys come from the step's own data against its parent's; the "before" values come from the
    case. A branch that split off earlier (a deadline's) carries a copy of the data as it was then, so
    its parent alone would show a value the case has since set again as new.
    """
    touched = data_diff(task.parent.data if task.parent is not None else {}, task.data)
    return data_diff(
        {k: case_data[k] for k in touched if k in case_data},
        {k: task.data[k] for k in touched if k in task.data},
    )


def _chase_if_deadline(session: Session, unit: _Unit, timer_task: SpiffTask) -> None:
    """A timer on a user task is that task's deadline: when it fires, its supervisors are told (C4)."""
    if not isinstance(timer_task.task_spec, BoundaryEvent) or timer_task.parent is None:
        return
    if is_repeating_timer(timer_task):
        return  # a reminder: what it does is drawn on its path, it is no deadline
    for sibling in _deadline_holders(timer_task):
        info = unit.parsed.user_tasks.get(sibling.task_spec.bpmn_id)
        if info is not None and sibling is not timer_task:
            unit.deadline_timers.append(timer_task.task_spec.bpmn_id)
            due = due_time(timer_task) or unit.now
            supervisors = None
            if unit.group is not None:
                if unit.group.supervisors is None:
                    unit.group.supervisors = active_supervisors(session)
                supervisors = unit.group.supervisors
            chase_overdue(
                session,
                unit.instance.id,
                unit.instance.case_number,
                timer_task.task_spec.bpmn_id,
                info.name,
                candidate_groups_for(info, sibling.data),
                due,
                unit.now,
                unit.engine_zone,
                info.name_en,
                supervisors,
                unit.messaging,
            )


def _deadline_holders(timer_task: SpiffTask) -> list[SpiffTask]:
    """The tasks beside a deadline timer; of a multi-instance step, its instances still open (each is
    chased for its own groups)."""
    holders: list[SpiffTask] = []
    for sibling in timer_task.parent.children if timer_task.parent is not None else []:
        if isinstance(sibling.task_spec, MultiInstanceTask):
            holders += [c for c in sibling.children if is_instance(c) and c.state == TaskState.READY]
        else:
            holders.append(sibling)
    return holders


def _carry_out_effects(session: Session, unit: _Unit, element_id: str, data: dict[str, Any]) -> None:
    """The notifications and notices the element asks for (docs/modelling.md), with their history events."""
    effect = unit.parsed.effects.get(element_id)
    if effect is None:
        return
    name = unit.parsed.element_names.get(element_id, element_id)
    if effect.notify:
        recipients = send_notifications(
            session,
            unit.instance.id,
            effect,
            data,
            unit.now,
            unit.instance.opened_by,
            unit.instance.case_number,
            unit.messaging,
        )
        unit.events.append(
            event_row(
                unit.instance.id,
                unit.now,
                SYSTEM.username,
                "notification_sent",
                element_id,
                name,
                {"recipients": [None, recipients]},
            )
        )
    if effect.publish_notice:
        notice, count = publish_notice(
            session,
            unit.instance.id,
            unit.instance.case_number,
            effect.publish_notice,
            data,
            unit.now,
            unit.engine_zone,
            unit.messaging,
        )
        unit.events.append(
            event_row(
                unit.instance.id,
                unit.now,
                SYSTEM.username,
                "notice_published",
                element_id,
                name,
                {"notice": [None, notice.id], "recipients": [None, count]},
            )
        )
    if effect.reply_on_platform:
        key = queue_platform_reply(
            session, unit.instance.id, unit.instance.case_number, data, effect.reply_on_platform, unit.now
        )
        unit.events.append(
            event_row(
                unit.instance.id,
                unit.now,
                SYSTEM.username,
                "platform_reply_queued",
                element_id,
                name,
                {"delivery": [None, key], "source": [None, data.get("case_source")]},
            )
        )
    if effect.send_reply is not None:
        reply = send_reply(
            session,
            unit.instance.id,
            unit.instance.case_number,
            effect,
            data,
            unit.now,
            unit.engine_zone,
            unit.messaging,
        )
        if reply is not None:
            kind = "reply_sent" if reply.pop("sent") else "reply_not_sent"
            unit.events.append(
                event_row(
                    unit.instance.id,
                    unit.now,
                    SYSTEM.username,
                    kind,
                    element_id,
                    name,
                    {key: [None, value] for key, value in reply.items()},
                )
            )


def _run_engine_steps(session: Session, unit: _Unit, refresh_timers: bool = False) -> None:
    _record_steps(session, unit, _advance(session, unit.workflow, refresh_timers))


def _checked_form(
    session: Session,
    fields: tuple[FieldDef, ...],
    submitted: dict[str, Any],
    current: dict[str, Any],
    zone: ZoneInfo,
    parsed: ParsedDefinition,
    unit: _Unit | None = None,
) -> tuple[dict[str, Any], ReferenceData | None]:
    """The submitted form checked against the diagram and today's reference data, or FormInvalid;
    with the reference data read for it (a unit reads it once, however many forms it checks)."""
    reference = unit.reference if unit is not None else None
    if any(f.reference for f in fields):
        if reference is None:
            reference = unit_reference(session)
        fields = with_reference_options(fields, reference)
        values, errors = validate_form(fields, submitted, current, zone, parsed.fields)
        fill_suggested(fields, values, reference, lambda category: _routed_department(session, category))
    else:
        values, errors = validate_form(fields, submitted, current, zone, parsed.fields)
    if errors:
        raise FormInvalid(errors, {**submitted})
    return values, reference


def form_problems(
    session: Session,
    engine: Runtime,
    instance: ProcessInstance,
    element_id: str,
    submitted: Mapping[str, Any],
) -> dict[str, FieldError]:
    """What is wrong with a step's submitted form, field by field, checked as completing it would check
    it (nothing is changed): for a caller that refuses the form for another reason too, so that every
    problem is shown at once."""
    parsed = parsed_definition(engine, instance.definition)
    info = parsed.user_tasks.get(element_id)
    if info is None:
        return {}
    try:
        _checked_form(session, info.fields, dict(submitted), dict(instance.data or {}), engine.zone, parsed)
    except FormInvalid as err:
        return dict(err.errors)
    return {}


def _routed_department(session: Session, category: str) -> str | None:
    """The department the routing table sends the category to (None without a table)."""
    found = route(session, category)
    return found.department if found is not None else None


def _save(session: Session, engine: Runtime, unit: _Unit) -> ProcessInstance:
    # The rows are written with Core statements as they are computed; no read here needs a flush first.
    with session.no_autoflush:
        return _save_unit(session, engine, unit)


def _save_unit(session: Session, engine: Runtime, unit: _Unit) -> ProcessInstance:
    if "calls" in unit.parsed.outside_waits:
        _open_called_cases(session, engine, unit)
    timers, ready = open_work(unit.workflow)
    created = sync_human_tasks(
        session,
        unit.instance,
        unit.workflow,
        unit.parsed,
        unit.now,
        timers + unit.fired_timers,
        unit.completed_guid,
        unit.actor.username,
        ready,
        {} if unit.new_case else unit.open_rows,
    )
    plan_steps(session, unit.instance.id, unit.parsed, created, unit.engine_zone)
    sync_timers(
        session,
        unit.instance,
        unit.workflow,
        timers,
        unit.now,
        unit.fired_timers,
        new_case=unit.new_case,
        pending_dues=unit.pending_timers,
        rows=unit.timer_rows,
    )
    for row in created:
        unit.events.append(
            event_row(
                unit.instance.id,
                unit.now,
                SYSTEM.username,
                "task_created",
                row.element_id,
                row.name,
                {
                    "candidate_groups": [None, row.candidate_groups],
                    **({"assignee": [None, row.assignee]} if row.assignee else {}),
                    **_input_changes(unit, row),
                },
            )
        )
    open_names = [t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in ready]
    values = summary_values(unit.data, unit.workflow, open_names, unit.now, unit.instance.case_number)
    if values.get("status") == "completed":
        unit.events.append(event_row(unit.instance.id, unit.now, SYSTEM.username, "case_closed"))
    save_workflow(session, engine, unit.instance, unit.workflow, values)
    if values.get("status") == "completed" and unit.caller_waits is not False and not unit.new_case:
        # A case opened in this unit has no caller yet: its parent links it once it is open.
        link = open_call_of_child(session, unit.instance.id)
        if link is not None:
            _resume_caller(session, engine, link, unit)
    waits = unit.parsed.outside_waits
    if "external" in waits:
        unit.events += sync_external_tasks(
            session, unit.instance, unit.workflow, unit.parsed, unit.now, unit.completed_guid
        )
    if "events" in waits:
        known = frozenset() if unit.new_case else unit.subscriptions
        sync_event_subscriptions(session, unit.instance, unit.workflow, unit.now, known)
    # Webhooks (issue 19): the deliveries of these events are written with them, in this unit of work.
    hooked = events_of_history(
        unit.events,
        unit.instance.case_number,
        unit.instance.process_key,
        unit.deadline_timers,
        str(values.get("status") or ""),
    )
    # A Core insert of the table: one executemany whatever columns each row leaves empty. Before the
    # deliveries: whether a client may read the case counts this unit's history too.
    write(session, _INSERT_EVENTS, unit.events)
    if hooked:
        queue_webhooks(session, hooked, unit.now, engine.webhook_subscriptions, _reader(session, unit))
    return unit.instance


def _reader(session: Session, unit: _Unit) -> Callable[[Actor], bool]:
    """Whether an API client (the actor it acts as) may read the unit's case as it is now, through the
    API (may_read_case): a webhook tells a client only of the cases it could read. What the unit knows
    answers first (its department, who opened it, who acts in this unit); the database otherwise."""
    instance = unit.instance

    def may_read(actor: Actor) -> bool:
        if reads_every_case(actor) or actor.username in (instance.opened_by, unit.actor.username):
            return True
        if instance.department and instance.department in actor.groups:
            return True
        return may_read_case(session, instance.id, actor)

    return may_read


# Built once and sent straight to the driver (engine.db.driver_statements).
_INSERT_EVENTS = DriverStatement(insert(cast(Table, Event.__table__)))


def _input_changes(unit: _Unit, row: HumanTask) -> dict[str, list[Any]]:
    """A new task's input parameters (camunda:inputOutput), put into its data as it opened: into the
    case data too, and into the history as the task's creation."""
    mapping = unit.parsed.io_mappings.get(row.element_id)
    if mapping is None:
        return {}
    task = unit.workflow.get_task_from_id(UUID(row.task_guid))
    changes = {}
    for name, _source in mapping.inputs:
        before, after = unit.data.get(name), task.data.get(name)
        if before != after:
            changes[name] = [before, after]
            unit.data[name] = after
    return changes


def _open_called_cases(session: Session, engine: Runtime, unit: _Unit) -> None:
    """A call activity the case reached opens its child case here, in the same unit of work (camunda:in
    gives it the mapped variables); a child that ends at once completes the call at once."""
    links = {} if unit.new_case else call_links(session, unit.instance.id)
    # A link a supervisor retries (status "retry") is opened again; every other link is done with.
    linked = {guid for guid, link in links.items() if link.status != RETRY}
    while True:
        calls = [t for t in waiting_case_calls(unit.workflow.tasks.values()) if str(t.id) not in linked]
        if not calls:
            return
        went_on = False
        for task in calls:
            spec: CaseCall = task.task_spec
            session.flush()  # the parent's row and links exist before the child refers to them
            again = links.get(str(task.id))
            try:
                # A savepoint: a child that cannot open leaves nothing of itself behind.
                with session.begin_nested():
                    child = start_case(
                        session,
                        engine,
                        spec.called_element,
                        unit.actor,
                        initial_data=spec.variables_in.apply(task.data),
                        version=spec.version,
                    )
            except NotFound as err:
                _call_failed(session, unit, task, again, err)
                linked.add(str(task.id))
                continue
            unit.events.append(
                event_row(
                    unit.instance.id,
                    unit.now,
                    SYSTEM.username,
                    "case_called",
                    spec.bpmn_id,
                    spec.bpmn_name or spec.bpmn_id,
                    {"child_case": [None, child.case_number]},
                )
            )
            linked.add(str(task.id))
            ended = child.status == "completed"
            if again is not None:  # the incident's link, now with its child
                again.child_instance_id, again.error = child.id, None
                again.status, again.completed_at = (
                    ("completed" if ended else "open"),
                    (unit.now if ended else None),
                )
            else:
                session.add(
                    CaseCallLink(
                        parent_instance_id=unit.instance.id,
                        task_guid=str(task.id),
                        element_id=spec.bpmn_id,
                        child_instance_id=child.id,
                        status="completed" if ended else "open",
                        created_at=unit.now,
                        completed_at=unit.now if ended else None,
                    )
                )
            if ended:
                _finish_call(unit, task, dict(child.data), child.case_number)
                went_on = True
        if went_on:
            _run_engine_steps(session, unit)


def _call_failed(
    session: Session, unit: _Unit, task: SpiffTask, link: CaseCallLink | None, err: NotFound
) -> None:
    """The call's procedure (or the version it binds) is not deployed, or no longer: the call waits as an
    incident naming it, which a supervisor retries once it is deployed; the rest of the unit is saved."""
    spec: CaseCall = task.task_spec
    version = f" version {spec.version}" if spec.version is not None else ""
    error = (
        f"call activity '{spec.bpmn_name or spec.bpmn_id}' cannot open a case of procedure "
        f"'{spec.called_element}'{version}: {err}. Deploy it, then retry"
    )
    if link is None:
        session.add(
            CaseCallLink(
                parent_instance_id=unit.instance.id,
                task_guid=str(task.id),
                element_id=spec.bpmn_id,
                child_instance_id=None,
                status=FAILED_CALL,
                error=error,
                created_at=unit.now,
            )
        )
    else:
        link.status, link.error = FAILED_CALL, error
    unit.events.append(
        event_row(
            unit.instance.id,
            unit.now,
            SYSTEM.username,
            "incident_raised",
            spec.bpmn_id,
            spec.bpmn_name or spec.bpmn_id,
            {"error": [None, error]},
        )
    )


def retry_case_call(session: Session, engine: Runtime, link_id: int, actor: Actor) -> ProcessInstance | None:
    """A supervisor retries a call activity whose procedure was not deployed: it tries to open the child
    case again in this unit of work (failing again: the incident stays, with the new error). None when
    the incident is gone (retried meanwhile, or its case no longer waits at the call)."""
    link = session.get(CaseCallLink, link_id)
    if link is None or link.status != FAILED_CALL:
        return None
    instance = session.get(ProcessInstance, link.parent_instance_id)
    if instance is None or instance.status != "running":
        return None
    take_case(session, instance)
    session.refresh(link)
    if link.status != FAILED_CALL:
        return None
    workflow, parsed = load_workflow(engine, instance)
    task = workflow.tasks.get(UUID(link.task_guid))
    if task is None or task.state != TaskState.STARTED:
        return None
    now = engine.clock.now()
    unit = _Unit(instance, workflow, parsed, now, actor, data=dict(instance.data), messaging=engine.messaging)
    name = task.task_spec.bpmn_name or link.element_id
    unit.events.append(
        event_row(
            instance.id,
            now,
            actor.username,
            "incident_retried",
            link.element_id,
            name,
            {"error": [link.error, None]},
        )
    )
    link.status = RETRY
    return _save(session, engine, unit)


def _finish_call(unit: _Unit, task: SpiffTask, child_data: dict[str, Any], child_number: str) -> None:
    """The child case ended: camunda:out's variables go into the parent, and the call completes."""
    spec: CaseCall = task.task_spec
    before = dict(task.data)
    task.data.update(spec.variables_out.apply(child_data))
    changes = data_diff(before, task.data)
    unit.data.update({k: v[1] for k, v in changes.items()})
    task.complete()
    unit.events.append(
        event_row(
            unit.instance.id,
            unit.now,
            SYSTEM.username,
            "called_case_ended",
            spec.bpmn_id,
            spec.bpmn_name or spec.bpmn_id,
            {"child_case": [None, child_number], **changes},
        )
    )


def _resume_caller(session: Session, engine: Runtime, link: CaseCallLink, child: _Unit) -> None:
    """The child case just ended in this unit of work: its caller goes on in the same one, so no job
    has to notice it later and nothing is lost between two transactions."""
    parent = session.get(ProcessInstance, link.parent_instance_id)
    if parent is None or parent.status != "running":
        return
    take_case(session, parent)
    workflow, parsed = load_workflow(engine, parent)
    task = next((t for t in workflow.tasks.values() if str(t.id) == link.task_guid), None)
    link.status, link.completed_at = "completed", child.now
    if task is None or task.state != TaskState.STARTED:
        return  # the parent left the step another way (a deadline on the call)
    unit = _Unit(
        parent, workflow, parsed, child.now, SYSTEM, data=dict(parent.data), messaging=engine.messaging
    )
    _finish_call(unit, task, dict(child.data), child.instance.case_number)
    _run_engine_steps(session, unit)
    _save(session, engine, unit)


def _store_drawn_images(
    session: Session, engine: Runtime, unit: _Unit, values: dict[str, Any], task_id: int | None
) -> None:
    """R4: a signature drawn in the form becomes an attachment of the case; the data keeps its id."""
    for key, value in values.items():
        if isinstance(value, DrawnImage):
            if engine.attachment_folder is None:
                raise RuntimeError("the engine has no attachment folder to store a drawn signature in")
            attachment = add_attachment(
                session,
                engine.attachment_folder,
                unit.instance.id,
                task_id,
                f"{key}.png",
                value.data,
                unit.actor.username,
                unit.now,
                history=unit.events,
            )
            values[key] = attachment.id


def _complete(
    session: Session,
    engine: Runtime,
    unit: _Unit,
    task: SpiffTask,
    submitted: dict[str, Any],
    task_id: int | None = None,
) -> None:
    info = unit.parsed.user_tasks.get(task.task_spec.bpmn_id)
    values, unit.reference = _checked_form(
        session, info.fields if info else (), submitted, task.data, unit.engine_zone, unit.parsed, unit
    )
    if info is not None and info.awaits_parts:
        _settle_awaited_parts(session, unit, info, values, submitted)
    _store_drawn_images(session, engine, unit, values, task_id)
    before = dict(task.data)
    task.data.update(values)
    mapping = unit.parsed.io_mappings.get(task.task_spec.bpmn_id)
    if mapping is not None:
        apply_parameters(task, mapping.outputs)
    changes = data_diff(before, task.data)
    instance_of = task.parent if is_instance(task) else None
    if instance_of is None:
        unit.data.update({k: v[1] for k, v in changes.items()})
    task.run()
    if instance_of is not None:
        # One instance of a multi-instance step: its values go into the step's results, not over the
        # case data another instance shares (engine.bpmn.multi_instance).
        name = results_name(instance_of.task_spec.bpmn_id)
        unit.data[name] = instance_of.data.get(name, [])
    unit.completed_guid = str(task.id)
    unit.events.append(
        event_row(
            unit.instance.id,
            unit.now,
            unit.actor.username,
            "task_completed",
            task.task_spec.bpmn_id,
            task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            changes,
        )
    )
    _carry_out_effects(session, unit, task.task_spec.bpmn_id, task.data)
    _run_engine_steps(session, unit)


def _settle_awaited_parts(
    session: Session, unit: _Unit, info: Any, values: dict[str, Any], submitted: dict[str, Any]
) -> None:
    """A step that awaits the parts of a multi-instance step beside it (property awaitsParts: the lead
    department's reply awaits the assisting departments', 主办/协办, C3): refused while a part is open
    and within its deadline (FormInvalid on the field of awaitsPartsWhen, what was typed kept); the
    parts still open past their deadline are withdrawn, the lead goes on without them (C4)."""
    when = info.awaits_parts_when
    if when is not None and str(values.get(when[0], "")) != when[1]:
        return
    steps = [
        t
        for t in unit.workflow.get_tasks(state=TaskState.STARTED)
        if isinstance(t.task_spec, MultiInstanceTask) and t.task_spec.bpmn_id == info.awaits_parts
    ]
    for step in steps:
        open_parts = [c for c in step.children if is_instance(c) and c.state == TaskState.READY]
        if not open_parts:
            continue
        rows = {
            r.task_guid: r
            for r in session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == unit.instance.id,
                    HumanTask.element_id == info.awaits_parts,
                    HumanTask.status == "open",
                )
            )
        }
        awaited = [
            rows[str(c.id)].candidate_groups
            for c in open_parts
            if str(c.id) in rows and not _past(rows[str(c.id)].due_at, unit.now)
        ]
        if awaited:
            field_id = when[0] if when is not None else next(iter(info.fields)).id
            raise FormInvalid(
                {field_id: FieldError("parts_awaited", {"parts": ",".join(awaited)})}, {**submitted}
            )
        for part in open_parts:
            part.cancel()
        step._set_state(TaskState.READY)


def _past(due: datetime | None, now: datetime) -> bool:
    """Whether a task's deadline has passed (a task without one is never past it)."""
    if due is None:
        return False
    if due.tzinfo is None and now.tzinfo is not None:
        due = due.replace(tzinfo=now.tzinfo)
    return due <= now


def start_case(
    session: Session,
    engine: Runtime,
    process_key: str,
    actor: Actor,
    first_task_form: dict[str, Any] | None = None,
    initial_data: dict[str, Any] | None = None,
    version: int | None = None,
) -> ProcessInstance:
    """Open a case on the latest version of the process.

    With `first_task_form`, the process's first user task (the intake) is completed by the same
    person in the same unit of work: whoever records the call owns it from the first moment (S3). A
    process whose start event has a form (camunda:formData) takes it as that form instead: checked the
    same way, its values are the data the case starts with, and the first user task opens for its groups.
    With `initial_data`, the case starts with these values (a case the system opens from another one,
    such as a sampled callback, M1); they are recorded in the case_started event.
    """
    definition = (
        latest_definition_noting_stamp(session, process_key)
        if version is None
        else get_version(session, process_key, version)
    )
    parsed = parsed_definition(engine, definition)
    now = engine.clock.now()
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=engine.script_engine)
    first_task = None
    reference: ReferenceData | None = None
    start_values: dict[str, Any] = {}
    intake: dict[str, Any] = {}
    if first_task_form is not None and not parsed.startable:
        raise NotAllowed(f"cases of '{process_key}' are opened by the system only (isStartableInTasklist)")
    if first_task_form is not None and parsed.start_form is not None:
        # The start event's form is the intake: checked first, its values the data the case starts with.
        start_form = parsed.start_form
        check_member(candidate_groups_for(start_form, {}), actor, f"'{start_form.name}'")
        start_values, reference = _checked_form(
            session, start_form.fields, first_task_form, {}, engine.zone, parsed
        )
        first_task_form = None
    if parsed.initiator:
        start_values[parsed.initiator] = actor.username
    if initial_data or start_values:
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update({**(initial_data or {}), **start_values})
    first_steps = _advance(session, workflow)
    if first_task_form is not None:
        ready = ready_user_tasks(workflow)
        if not ready:
            raise NotFound(f"process '{process_key}' has no first task to record the intake in")
        first_task = ready[0]
        info = parsed.user_tasks[first_task.task_spec.bpmn_id]
        starters = list(parsed.starters) or candidate_groups_for(info, first_task.data)
        check_member(starters, actor, f"'{info.name}'")
        intake, reference = _checked_form(session, info.fields, first_task_form, {}, engine.zone, parsed)

    started_with = {**(initial_data or {}), **start_values}
    case_number = next_case_number(session, definition.case_prefix, now, engine.zone)
    instance = insert_case(
        session,
        definition,
        **first_summary({**started_with, **intake}, workflow, now, case_number),
        case_number=case_number,
        status="running",
        state="",
        serializer_version=engine.serializer.version,
        version=0,
        data={},
        opened_by=actor.username,
        opened_at=now,
        updated_at=now,
    )
    unit = _Unit(
        instance,
        workflow,
        parsed,
        now,
        actor,
        data=dict(started_with),
        new_case=True,
        messaging=engine.messaging,
    )
    unit.reference = reference
    unit.events.append(
        event_row(
            instance.id,
            now,
            actor.username,
            "case_started",
            None,
            parsed.name,
            {
                "process_version": [None, definition.version],
                **{k: [None, v] for k, v in sorted(started_with.items())},
            },
        )
    )
    _record_steps(session, unit, first_steps)
    if first_task is not None:
        _complete(session, engine, unit, first_task, first_task_form or {})
    return _save(session, engine, unit)


def complete_task(
    session: Session, engine: Runtime, task_id: int, actor: Actor, submitted: dict[str, Any]
) -> ProcessInstance:
    row = workable_task(session, task_id, actor)
    instance = row.instance
    open_rows, caller_waits = _take_task(session, row, actor)
    if row.paused_at is not None:
        raise Conflict(
            f"task '{row.name}' of case {instance.case_number} is paused; resume it first",
            "task_paused",
            task=row.name,
            case=instance.case_number,
            by=row.paused_by or "",
        )
    workflow, parsed = load_workflow(engine, instance)
    task = ready_user_task(workflow, row.task_guid)
    if task is None:
        raise Conflict(
            f"task '{row.name}' of case {instance.case_number} is no longer waiting; reload the case",
            "task_gone",
            task=row.name,
            case=instance.case_number,
        )
    unit = _Unit(
        instance,
        workflow,
        parsed,
        engine.clock.now(),
        actor,
        data=dict(instance.data),
        open_rows=open_rows,
        pending_timers=pending_timer_dues(waiting_timers(workflow)),
        caller_waits=caller_waits,
        messaging=engine.messaging,
        subscriptions=waiting_guids(workflow) if "events" in parsed.outside_waits else None,
    )
    # A deadline that passed before the scheduler looked fires first, so its chase is not lost.
    if timers_may_fire(workflow, unit.now):
        _run_engine_steps(session, unit, refresh_timers=True)
    if task.state != TaskState.READY:
        raise Conflict(
            f"task '{row.name}' of case {instance.case_number} was closed by its deadline; reload the case",
            "task_gone",
            task=row.name,
            case=instance.case_number,
        )
    if row.assignee is None:
        _claim_on_completion(unit, row)
    _complete(session, engine, unit, task, submitted, row.id)
    return _save(session, engine, unit)


def _claim_on_completion(unit: _Unit, row: HumanTask) -> None:
    """Completing a task nobody claimed claims it for whoever completes it, in the same unit: the
    history says so, and the completed row names them as its assignee (engine.cases.projection)."""
    unit.events.append(
        event_row(
            unit.instance.id,
            unit.now,
            unit.actor.username,
            "task_claimed_on_completion",
            row.element_id,
            row.name,
            {"assignee": [None, unit.actor.username]},
        )
    )


def _take_task(session: Session, row: HumanTask, actor: Actor) -> tuple[dict[str, HumanTask], bool]:
    """Lock the task's case before writing anything (engine.cases.store.take_case) and look at the task
    again as the lock leaves it: whoever completed or claimed it meanwhile has committed by now, and the
    loser is told who was quicker (a Conflict, 409 in the web) instead of failing on a constraint.

    Returns the case's open task rows as read after the lock (the row among them, refreshed), which
    the unit's projection then works from without reading them again, and whether another case's call
    waits for this case to end."""
    try:
        caller_waits = take_case_and_caller(session, row.instance)
    except Conflict:
        session.refresh(row)
        if row.status != "open":
            raise closed_conflict(row) from None
        raise
    open_rows = open_task_rows(session, row.instance_id)
    if open_rows.get(row.task_guid) is not row:
        session.refresh(row)  # closed meanwhile: by whom
        raise closed_conflict(row)
    if row.assignee is not None and row.assignee != actor.username:
        raise claimed_conflict(row)
    return open_rows, caller_waits


def fire_timer(
    session: Session, engine: Runtime, timer_id: int, group: FiringGroup | None = None
) -> ProcessInstance | None:
    """Let a due timer fire through the engine. Returns None if it is not (or no longer) due.

    `group`: the firings of one unit of work that locked their cases and read their rows together
    (engine.cases.timer_groups); a case of the group is not locked or read again."""
    timer = session.get(Timer, timer_id)
    now = engine.clock.now()
    if timer is None or timer.fired_at is not None or timer.status != "waiting" or timer.due_at > now:
        return None
    instance = session.get(ProcessInstance, timer.instance_id)
    if instance is None or instance.status != "running":
        return None
    rows = group.take(instance.id) if group is not None else None
    if rows is None:
        take_case(session, instance)
    workflow, parsed = load_workflow(engine, instance)
    unit = _Unit(
        instance,
        workflow,
        parsed,
        now,
        SYSTEM,
        data=dict(instance.data),
        open_rows=rows.open_tasks if rows is not None else None,
        timer_rows=rows.timers if rows is not None else None,
        group=group,
        messaging=engine.messaging,
    )
    _run_engine_steps(session, unit, refresh_timers=True)
    return _save(session, engine, unit)


def complete_external_task(
    session: Session,
    engine: Runtime,
    task_id: int,
    worker_id: str,
    actor: Actor,
    variables: dict[str, Any] | None = None,
) -> ProcessInstance:
    """The worker holding the lock has done the external task: its variables go into the case, and the
    case goes on to its next wait, all in this unit of work (a lost lock or a closed task: Conflict)."""
    values = checked_variables(variables)
    now = engine.clock.now()
    row = locked_by(session, task_id, worker_id, now, for_update=True)
    instance = session.get(ProcessInstance, row.instance_id)
    if instance is None or instance.status != "running":
        raise Conflict(
            f"the case of external task {task_id} is no longer running", "task_gone", task=row.name, case=""
        )
    take_case(session, instance)
    workflow, parsed = load_workflow(engine, instance)
    task = next((t for t in workflow.tasks.values() if str(t.id) == row.task_guid), None)
    if task is None or task.state != TaskState.STARTED:
        raise Conflict(
            f"external task {task_id} of case {instance.case_number} is no longer waiting",
            "task_gone",
            task=row.name,
            case=instance.case_number,
        )
    unit = _Unit(instance, workflow, parsed, now, actor, data=dict(instance.data), messaging=engine.messaging)
    before = dict(task.data)
    task.data.update(values)
    changes = data_diff(before, task.data)
    unit.data.update({k: v[1] for k, v in changes.items()})
    task.complete()
    unit.completed_guid = row.task_guid
    row.status, row.completed_at, row.completed_by = "completed", now, worker_id
    row.lock_until = None
    unit.events.append(
        event_row(
            instance.id,
            now,
            actor.username,
            "external_task_completed",
            row.element_id,
            row.name,
            {"worker": [None, worker_id], **changes},
        )
    )
    _carry_out_effects(session, unit, row.element_id, task.data)
    _run_engine_steps(session, unit, refresh_timers=timers_may_fire(workflow, now))
    return _save(session, engine, unit)


def _deliver(
    session: Session,
    engine: Runtime,
    instance: ProcessInstance,
    actor: Actor,
    event: BpmnEvent,
    kind: str,
    name: str,
) -> ProcessInstance:
    """Let the case's waiting steps catch the message or signal, then run on to the next wait."""
    take_case(session, instance)
    workflow, parsed = load_workflow(engine, instance)
    now = engine.clock.now()
    unit = _Unit(instance, workflow, parsed, now, actor, data=dict(instance.data), messaging=engine.messaging)
    before = dict(unit.data)
    workflow.catch(event)
    unit.data.update(event.payload or {})
    _run_engine_steps(session, unit)
    unit.events.insert(
        0,
        event_row(
            instance.id,
            now,
            actor.username,
            f"{kind}_received",
            None,
            name,
            {k: [before.get(k), v] for k, v in sorted(event.payload.items())} if event.payload else {},
        ),
    )
    return _save(session, engine, unit)


def correlate_message(
    session: Session,
    engine: Runtime,
    actor: Actor,
    message_name: str,
    case_number: str | None,
    correlation_keys: dict[str, Any],
    variables: dict[str, Any],
) -> ProcessInstance:
    """Deliver a message to the one step that waits for it in the case named by number or by
    correlation keys (none: NotFound; more than one: Conflict); its variables go into the case."""
    values = checked_variables(variables)
    row = message_subscription(session, message_name, case_number, correlation_keys)
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    event = BpmnEvent(MessageEventDefinition(message_name), payload=values)
    return _deliver(session, engine, instance, actor, event, "message", message_name)


def broadcast_signal(session: Session, engine: Runtime, actor: Actor, signal_name: str) -> list[str]:
    """Deliver a signal to every case with a step waiting for it; returns their case numbers."""
    numbers = []
    for instance_id in signal_subscriptions(session, signal_name):
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        event = BpmnEvent(SignalEventDefinition(signal_name))
        numbers.append(_deliver(session, engine, instance, actor, event, SIGNAL, signal_name).case_number)
    return numbers


def due_timer_ids(session: Session, now: datetime, limit: int = 100) -> list[int]:
    query = (
        select(Timer.id)
        .where(Timer.fired_at.is_(None), Timer.due_at <= now)
        .order_by(Timer.due_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def move_task_deadline(
    session: Session,
    engine: Runtime,
    row: HumanTask,
    actor: Actor,
    moved: Callable[[datetime], datetime],
    history: Callable[[datetime | None, datetime | None], list[EventRow]],
) -> tuple[datetime | None, datetime | None]:
    """Move the deadline timers waiting beside an open user task (a pause, engine.cases.pauses): each
    due time becomes `moved(due)`, the timer rows follow, and `history(old, new)` (the earliest before
    and after) gives the unit's history events. The case is locked first: whoever completed the task
    meanwhile wins and this is a Conflict. Returns the earliest deadline before and after."""
    instance = row.instance
    try:
        take_case(session, instance)
    except Conflict:
        session.refresh(row)
        if row.status != "open":
            raise closed_conflict(row) from None
        raise
    open_rows = open_task_rows(session, row.instance_id)
    if open_rows.get(row.task_guid) is not row:
        session.refresh(row)
        raise closed_conflict(row)
    workflow, parsed = load_workflow(engine, instance)
    task = next((t for t in ready_user_tasks(workflow) if str(t.id) == row.task_guid), None)
    if task is None:
        raise closed_conflict(row)
    timers = waiting_timers(workflow)
    unit = _Unit(
        instance,
        workflow,
        parsed,
        engine.clock.now(),
        actor,
        data=dict(instance.data),
        open_rows=open_rows,
        pending_timers=pending_timer_dues(timers),
        messaging=engine.messaging,
    )
    before: list[datetime] = []
    after: list[datetime] = []
    for timer in timers:
        due = due_time(timer)
        if timer.parent is task.parent and timer is not task and due is not None:
            new_due = moved(due)
            move_due(timer, new_due)
            before.append(due)
            after.append(new_due)
    old, new = (min(before) if before else None), (min(after) if after else None)
    unit.events.extend(history(old, new))
    _save(session, engine, unit)
    return old, new
