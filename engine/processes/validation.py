"""Checking a diagram before it is deployed, with every problem named by element and a way to fix it.

The checks a process owner needs, beyond "SpiffWorkflow can parse it": every user task has a
candidate group that exists and a form; every form field has a known type; every timer expression
evaluates with the business calendar; an exclusive gateway's outgoing flows have conditions or a
default; conditions and scripts pass the sandbox; every element is drawn; documentation names only
rules of the rule list. A diagram with problems may be saved as a draft but never deployed.

Each problem is a code with parameters (engine/messages.py): `DiagramProblem.message` says it in
English; the web and the command line say it in the user's language through the catalogs, into which
`pybabel extract` takes the templates below (marked with `N_`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.bpmn import (
    AWAITS_PARTS,
    AWAITS_PARTS_WHEN,
    BINDINGS,
    BPMN_NS,
    CAMUNDA_NS,
    CONSTRUCT_REFUSALS,
    CONSTRUCT_WARNINGS,
    CUSTOMER_CONTACT,
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIME_LIMIT,
    ESCALATE,
    FIELD_TYPES,
    INSTANCE_COUNTERS,
    MAX_NAME_LENGTH,
    PERSONAL_KINDS,
    ROLE_MESSAGES,
    SAFE_BUILTINS,
    SCHEMA_MESSAGES,
    WARN_AT,
    XML_MESSAGES,
    CycleInvalid,
    DefinitionError,
    Finding,
    LevelError,
    MappingUnreadable,
    SandboxEnvironment,
    ScriptRejected,
    TaskValueError,
    UnsafeXml,
    check_constructs,
    check_source,
    condition_source,
    contact_kinds,
    decision_reference,
    element_properties,
    field_of,
    first_task_groups,
    io_mapping,
    iso_duration,
    loaded_names,
    named_element,
    normalise_timer_expression,
    parse_cycle,
    parse_definition,
    parse_levels,
    parse_xml,
    read_roles,
    read_variable_labels,
    results_name,
    schema_problem,
    script_functions,
    stored_names,
    storing_result,
    task_moment,
    task_priority,
)
from engine.cases import deployed_keys, has_version, latest_definition
from engine.clock import Clock
from engine.decisions import DecisionInvalid, decision_version, route_pair, table_of
from engine.errors import HotlineError, NotFound
from engine.messages import N_, Coded, as_params
from engine.processes.rules import RULE_LIST
from engine.processes.traceability import read_rules, rule_ids_in
from engine.reference import known_groups, known_usernames, reference_session, script_lookups

NS = {
    "bpmn": BPMN_NS,
    "camunda": CAMUNDA_NS,
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}
RULES_FILE = RULE_LIST  # package data: read the same way from a checkout and a wheel
# A text field whose id or label says it holds who the customer is or how to reach them.
PERSONAL_ID_HINT = re.compile(r"(?:^|_)(?:name|phone|tel|mobile|contact|address|addr|email)(?:_|$)", re.I)
PERSONAL_LABEL_HINTS = ("地址", "住址", "电话", "手机", "姓名", "联系", "邮箱")
DRAWN = (
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "serviceTask",
    "task",
    "manualTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
)

MESSAGES: dict[str, str] = {
    **XML_MESSAGES,
    "decision-without-ref": N_(
        "Business rule task '%(name)s' names no decision. Set its decision reference "
        "(camunda:decisionRef) to the id of a deployed decision table, for example routing."
    ),
    "decision-binding": N_(
        "Business rule task '%(name)s' binds its decision by '%(binding)s', which is not supported. "
        "Leave the binding at latest (the newest version runs) or choose version with a version number."
    ),
    "decision-version-invalid": N_(
        "Business rule task '%(name)s' fixes the decision's version to '%(version)s', which is not a "
        "version number. Write a number such as 2, or bind to the latest version."
    ),
    "decision-not-deployed": N_(
        "Business rule task '%(name)s' calls decision '%(decision)s'%(version)s, which is not deployed. "
        "Deploy its .dmn file first (hotline deploy, or the decision tables page)."
    ),
    "call-not-deployed": N_(
        "Call activity '%(name)s' calls procedure '%(procedure)s', which is not deployed. Deploy "
        "'%(procedure)s' first (or in the same hotline deploy), or correct calledElement."
    ),
    "call-not-deployed-near": N_(
        "Call activity '%(name)s' calls procedure '%(procedure)s', which is not deployed. Did you mean "
        "'%(near)s'? Correct calledElement, or deploy '%(procedure)s' first."
    ),
    "call-version-not-deployed": N_(
        "Call activity '%(name)s' calls version %(version)s of procedure '%(procedure)s', which has no "
        "such version (the newest is %(latest)s). Choose a deployed version, or bind the latest."
    ),
    "call-version-invalid": N_(
        "Call activity '%(name)s' binds a fixed version of '%(procedure)s' but calledElementVersion "
        "'%(version)s' is no version number. Write the number (1, 2, …), or bind the latest."
    ),
    "decision-unknown-input": N_(
        "Business rule task '%(name)s' calls decision '%(decision)s', which reads '%(variable)s'; no "
        "form field or script of this diagram sets it. Add that field or change the table's input."
    ),
    "process-count": N_(
        "A diagram must hold exactly one executable process; this one holds %(count)s. Keep one "
        "process and mark it executable."
    ),
    "process-without-id": N_(
        "The executable process has no id. Give it the procedure's key (for example water_quality): "
        "select the pool or the canvas and enter the process ID."
    ),
    "bpmn-invalid": N_("SpiffWorkflow cannot run this: %(detail)s. Correct the element as the message says."),
    "flow-end-missing": N_(
        "Line %(line)s: sequence flow '%(name)s' lacks its %(end)s, so it leads from or to nothing. Draw "
        "the flow again between two elements."
    ),
    "flow-end-unknown": N_(
        "Line %(line)s: sequence flow '%(name)s' has %(end)s '%(ref)s', but no element of the file has "
        "that id (deleted, or copied from another diagram). Draw the flow again between two elements."
    ),
    "field-id-shared": N_(
        "Line %(line)s: '%(name)s' has a form field or choice with the id '%(field)s', which is also the "
        "id of an element of the diagram. Rename one of them."
    ),
    "boundary-unattached": N_(
        "Line %(line)s: boundary event '%(name)s' is attached to '%(ref)s', which is no element of the "
        "file. Place the event on the border of a task again."
    ),
    "id-too-long": N_(
        "The id of '%(name)s' has %(length)s characters; an id may have at most %(limit)s. Give it a "
        "shorter id in the modeler (the element's ID field)."
    ),
    "missing-candidate-group": N_(
        "User task '%(name)s' does not say who may do it. Set its candidate groups (for example "
        "operator), or name a person (assignee or candidate users)."
    ),
    "unknown-candidate-group": N_(
        "User task '%(name)s' names the candidate group '%(group)s', which is no role or "
        "department. Choose one of: %(known)s."
    ),
    "unknown-group-variable": N_(
        "User task '%(name)s' takes its candidate group from '%(variable)s', which no form "
        "field or script of this diagram sets. Add that field or choose a fixed group."
    ),
    "unknown-user": N_(
        "User task '%(name)s' names the person '%(user)s', who has no active staff account. Check the "
        "user name (Staff accounts), or take the person from the case data with ${field}."
    ),
    "unknown-user-variable": N_(
        "User task '%(name)s' takes the person who does it from '%(variable)s', which no form field or "
        "script of this diagram sets. Add that field or name a user."
    ),
    "unknown-collection-variable": N_(
        "Multi-instance step '%(name)s' runs once per item of '%(variable)s', which no form field or "
        "script of this diagram sets. Add that field (a multiple choice) or set the list in a script "
        "before the step."
    ),
    "unknown-starter": N_(
        "Process '%(name)s' lets '%(starter)s' open its cases, which is no role, department or active "
        "staff account. Check its candidate starter groups and users."
    ),
    "task-value-invalid": N_(
        "User task '%(name)s' has %(attribute)s %(value)s, which cannot be read. Write an ISO date-time "
        "(2026-12-10T17:00), a duration from the task's creation (P2D for two working days, PT4H) or "
        "${field}; a priority is a whole number or ${field}."
    ),
    "task-value-variable": N_(
        "User task '%(name)s' takes its %(attribute)s from '%(variable)s', which no form field or script "
        "of this diagram sets. Add that field or write the value itself."
    ),
    "result-variable-no-expression": N_(
        "Script task '%(name)s' stores its result in '%(variable)s' (camunda:resultVariable), but its last "
        "line is no expression whose value could be stored (or that is no Python name). End the script "
        "with the expression, or assign the variable in the script and remove the setting."
    ),
    "io-value-unreadable": N_(
        "'%(name)s' has the parameter %(parameter)s (camunda:inputOutput), whose value cannot run here. "
        "Write a text, an expression such as ${amount} or ${a > 5}, a list or a map; compute anything "
        "else in a script task."
    ),
    "missing-form": N_(
        "User task '%(name)s' has no form. Add at least one form field, so the person doing it "
        "records what was done."
    ),
    "customer-contact-value": N_(
        "Step '%(name)s' has the property customer_contact = '%(value)s'. Name the personal data whoever "
        "does the step needs to visit or call the customer, from: %(known)s (for example phone, address)."
    ),
    "start-form-nobody": N_(
        "Start event '%(name)s' has a form, but nothing says who may fill it in. Put a user task with "
        "fixed candidate groups after it: its people open the case with the form."
    ),
    "start-form-in-subprocess": N_(
        "Start event '%(name)s' of a sub-process has a form; only the process's own start event has one "
        "(the intake form). Move the fields to a user task of the sub-process."
    ),
    "start-form-signature": N_(
        "The form of start event '%(name)s' asks for a signature (field %(field)s), which the intake "
        "cannot take. Ask for it in a user task."
    ),
    "deadline-levels": N_("Step '%(name)s': %(problem)s."),
    "awaits-parts-step": N_(
        "Step '%(name)s' awaits the parts of '%(step)s' (property awaitsParts), which is no multi-instance "
        "user task of this diagram. Name one of: %(known)s."
    ),
    "awaits-parts-when": N_(
        "Step '%(name)s' has the property awaitsPartsWhen = '%(value)s'. Write 'field=value' with a field "
        "of the step's own form, for example outcome=resolved."
    ),
    "deadline-levels-without-timer": N_(
        "Step '%(name)s' declares warnAt or escalate but has no deadline: draw a timer on its border."
    ),
    "unknown-field-type": N_(
        "Form field '%(field)s' of '%(name)s' has the type '%(type)s'. Choose one of: %(known)s."
    ),
    "timer-empty": N_(
        "Timer '%(name)s' has no expression. Enter a duration such as PT2H, or a date such as "
        "${reply_due} or working_days(2)."
    ),
    "no-start-event": N_(
        "Process '%(name)s' has no start event, so no case of it could open. Draw a start event and a "
        "flow from it to the first step."
    ),
    "script-empty": N_(
        "Script task '%(name)s' has no script. Write the Python it runs, or make it another kind of task."
    ),
    "gateway-without-outgoing": N_(
        "Gateway '%(name)s' has no outgoing flow, so a case reaching it could go nowhere. Draw the flows "
        "that leave it, or remove it."
    ),
    "loop-without-gateway": N_(
        "'%(name)s' lies on a loop of %(steps)s steps that passes no gateway, so the case could never "
        "leave it. Put an exclusive gateway on the loop, with a flow that leaves it."
    ),
    "timer-syntax": N_(
        "Timer '%(name)s': the expression '%(expression)s' is no duration and no Python (it cannot be "
        "read at column %(column)s). Write an expression such as PT2H or working_days(2)."
    ),
    "timer-rejected": N_(
        "Timer '%(name)s': the expression '%(expression)s' is not allowed: %(detail)s. Write an "
        "expression such as PT2H or working_days(2)."
    ),
    "timer-unknown-name": N_(
        "Timer '%(name)s' uses '%(variable)s', which no form field or script of this diagram "
        "sets and which is no calendar function. Correct the name or set it before the timer."
    ),
    "timer-does-not-evaluate": N_(
        "Timer '%(name)s': the expression '%(expression)s' fails with the business "
        "calendar: %(detail)s. Correct the expression."
    ),
    "timer-wrong-value": N_(
        "Timer '%(name)s': the expression '%(expression)s' gives '%(value)s', which is not a "
        "%(expected)s. A timeDuration needs a duration such as PT2H, a timeDate a date and time."
    ),
    "gateway-flow-without-condition": N_(
        "Flow '%(flow)s' leaving gateway '%(name)s' has no condition and is not the "
        "default flow. Give it a condition or make it the gateway's default flow."
    ),
    "gateway-default-not-outgoing": N_(
        "Gateway '%(name)s' names '%(flow)s' as its default flow, but that flow does "
        "not leave it. Choose one of its outgoing flows as the default."
    ),
    "condition-rejected": N_(
        "The condition of flow '%(name)s' is not allowed: %(detail)s. Write an expression such "
        "as satisfied == False."
    ),
    "condition-syntax": N_(
        "The condition of flow '%(name)s' is no Python expression: it cannot be read at line %(line)s, "
        "column %(column)s. Write an expression such as satisfied == False (== compares; a single = "
        "does not)."
    ),
    "script-syntax": N_(
        "The script of '%(name)s' is no Python: it cannot be read at line %(line)s, column %(column)s. "
        "Correct it there; docs/modelling.md says what a script may hold."
    ),
    "script-rejected": N_(
        "The script of '%(name)s' is not allowed: %(detail)s. See the sandbox rules in docs/modelling.md."
    ),
    "code-unknown-name": N_(
        "'%(name)s' uses '%(variable)s', which no form field or script of this diagram sets and "
        "which is no function a script may call. Correct the name or set it before this step."
    ),
    "missing-layout": N_(
        "'%(name)s' is not drawn (it has no shape or line in the diagram). Open the diagram in the "
        "modeler and place it."
    ),
    "variable-label": N_(
        "Process property: %(detail)s. Write label:<variable> = 中文|English and "
        "values:<variable> = code:中文|English;code2:中文|English (see docs/modelling.md)."
    ),
    "name-too-long": N_(
        "The %(what)s of '%(name)s' is %(length)s characters long; at most %(limit)s are allowed. "
        "Shorten it (a longer explanation belongs in the documentation)."
    ),
    "unknown-rule-id": N_(
        "The documentation of '%(name)s' names rule %(rule)s, which is not in the rule list "
        "(docs/procedures.md). Correct the rule id."
    ),
}
# Every BPMN element and Camunda extension the engine does not run, refused by name with the way
# forward (engine/bpmn/constructs.py), and the BPMN schema's complaints in plain words.
MESSAGES.update(CONSTRUCT_REFUSALS)
MESSAGES.update(SCHEMA_MESSAGES)
# What deploys but deserves a look (diagram_warnings): said beside the problems, never refusing.
WARNING_MESSAGES: dict[str, str] = {
    "undeclared-personal-field": N_(
        "Field '%(field)s' (%(label)s) of '%(name)s' looks like a customer's personal data but is not "
        "declared so: add the field property personal = phone, name, address or text, so that roles "
        "that must not see it get it masked and every unmasked view is recorded."
    ),
    "stale-english-name": N_(
        "'%(name)s' was called '%(old)s' in the deployed version, but its English name is still "
        "'%(english)s': check the English name (extension property name_en)."
    ),
    # What the engine ignores, named so the process owner knows it is not read.
    **CONSTRUCT_WARNINGS,
}


@dataclass(frozen=True)
class DiagramProblem(Coded):
    """One thing that keeps a diagram from being deployed, and how to fix it: a code with parameters
    (`message` says it in English; the web and the command line say it through the catalogs)."""

    TEMPLATES: ClassVar[Mapping[str, str]] = MESSAGES
    # A JUEL condition without a Python of its own is offered an example, said in the user's language.
    TRANSLATED_PARAMS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "construct-condition-juel": ("python",),
        "construct-condition-feel": ("python",),
        # A service task without any implementation says so in the user's language (no attribute to quote).
        "construct-servicetask-java": ("value",),
    }
    # Why the sandbox refuses a condition, script or timer: its reason (REASONS of the sandbox) with the
    # reason's parameters among the problem's.
    FILLED_PARAMS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "condition-rejected": ("detail",),
        "script-rejected": ("detail",),
        "timer-rejected": ("detail",),
    }

    element_id: str | None
    element_name: str | None
    code: str
    process_key: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f"{self.element_id} ({self.element_name})" if self.element_name else self.element_id
        return f"{where}: {self.message}" if where else self.message


class DiagramWarning(DiagramProblem):
    """Something a process owner should look at that does not keep the diagram from being deployed."""

    TEMPLATES: ClassVar[Mapping[str, str]] = WARNING_MESSAGES


class InvalidDiagram(HotlineError, ValueError):
    """A diagram that may not be deployed; `problems` says why, element by element."""

    code = "invalid-diagram"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "invalid-diagram": N_("Not deployed: fix the problems listed beside the diagram first."),
    }

    def __init__(self, problems: list[DiagramProblem]) -> None:
        super().__init__(
            "; ".join(str(p) for p in problems),
            element_id=problems[0].element_id if problems else None,
            params={"count": len(problems)},
        )
        self.problems = problems


def _problem(code: str, element: Any, key: str | None, **params: Any) -> DiagramProblem:
    element_id = element.get("id") if element is not None else None
    element_name = (element.get("name") or None) if element is not None else None
    params.setdefault("name", element_name or element_id or "")
    return DiagramProblem(element_id, element_name, code, key, as_params(params))


@lru_cache(maxsize=4)
def _rules(path: Path, mtime: float) -> frozenset[str]:
    return frozenset(read_rules(path))


def rule_list() -> frozenset[str]:
    if not RULES_FILE.exists():
        return frozenset()
    return _rules(RULES_FILE, RULES_FILE.stat().st_mtime)


@dataclass
class _Diagram:
    root: Any
    process: Any
    key: str | None

    def elements(self, tag: str) -> list[Any]:
        return list(self.process.iter(f"{{{BPMN_NS}}}{tag}"))

    def by_id(self) -> dict[str, Any]:
        return {el.get("id"): el for el in self.process.iter() if isinstance(el.tag, str) and el.get("id")}

    def form_fields(self) -> dict[str, Any]:
        return {f.get("id"): f for f in self.process.iter(f"{{{CAMUNDA_NS}}}formField") if f.get("id")}

    def start_variables(self) -> set[str]:
        """Data the system gives a case it opens itself (process property startVariables, e.g. a
        sampled callback's callback_group), so expressions may read it though no form asks for it."""
        names: set[str] = set()
        for prop in self.process.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
            if prop.get("name") == "startVariables":
                names |= {name.strip() for name in (prop.get("value") or "").split(",") if name.strip()}
        for start in self.process.iterfind("bpmn:startEvent", NS):  # camunda:initiator: who opened it
            names |= {(start.get(f"{{{CAMUNDA_NS}}}initiator") or "").strip()} - {""}
        return names

    def script_variables(self) -> set[str]:
        names: set[str] = set()
        for script in self.process.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
            try:
                tree = check_source(script.text or "", "exec")
            except ScriptRejected:
                continue  # named as that script's own problem
            names |= {
                n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            names |= {(script.getparent().get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip()} - {""}
        # What the instances of a multi-instance step recorded (engine.bpmn.multi_instance).
        for task in self.process.iter(f"{{{BPMN_NS}}}userTask"):
            if task.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None:
                names.add(results_name(task.get("id") or ""))
        for kind in ("inputParameter", "outputParameter"):  # camunda:inputOutput puts these into the data
            names |= {(p.get("name") or "").strip() for p in self.process.iter(f"{{{CAMUNDA_NS}}}{kind}")} - {
                ""
            }
        return names


def _owner(node: Any) -> Any:
    """The nearest enclosing BPMN element with an id."""
    while node is not None and not (
        isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_NS}}}") and node.get("id")
    ):
        node = node.getparent()
    return node


def _check_deadline_levels(d: _Diagram, task: Any, groups: set[str]) -> Iterable[DiagramProblem]:
    """A graded deadline (warnAt, escalate) is well formed, names known roles and sits on a task with a
    timer on its border."""
    props = dict(element_properties(task))
    if not (props.get(WARN_AT, "").strip() or props.get(ESCALATE, "").strip()):
        return
    try:
        parse_levels(props.get(WARN_AT, ""), props.get(ESCALATE, ""), frozenset(groups))
    except LevelError as err:
        yield _problem("deadline-levels", task, d.key, problem=str(err))
    task_id = task.get("id")
    timers = [
        event
        for event in d.elements("boundaryEvent")
        if event.get("attachedToRef") == task_id and event.find("bpmn:timerEventDefinition", NS) is not None
    ]
    if not timers:
        yield _problem("deadline-levels-without-timer", task, d.key)


def _check_awaited_parts(d: _Diagram, task: Any) -> Iterable[DiagramProblem]:
    """awaitsParts names a multi-instance user task of the diagram, and awaitsPartsWhen reads
    'field=value' over a field of the step's own form (engine.bpmn.parser)."""
    props = dict(element_properties(task))
    awaited = props.get(AWAITS_PARTS, "").strip()
    when = props.get(AWAITS_PARTS_WHEN)
    if not awaited and when is None:
        return
    steps = {
        t.get("id")
        for t in d.elements("userTask")
        if t.find("bpmn:multiInstanceLoopCharacteristics", NS) is not None
    }
    if awaited not in steps:
        yield _problem("awaits-parts-step", task, d.key, step=awaited, known=", ".join(sorted(steps)) or "—")
    if when is not None:
        field_id, sep, _value = when.partition("=")
        fields = {
            f.get("id") for f in task.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
        }
        if not sep or field_id.strip() not in fields:
            yield _problem("awaits-parts-when", task, d.key, value=when)


def _instance_variables(task: Any) -> set[str]:
    """What each instance of a multi-instance task sees besides the case data: its element variable
    and loopCounter (engine.bpmn.multi_instance)."""
    marker = task.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if marker is None:
        return set()
    element = (marker.get(f"{{{CAMUNDA_NS}}}elementVariable") or "").strip()
    return {"loopCounter", *([element] if element else [])}


def _collection(task: Any) -> str:
    """The case data item a multi-instance task's camunda:collection names ('' without one)."""
    marker = task.find("bpmn:multiInstanceLoopCharacteristics", NS)
    text = ((marker.get(f"{{{CAMUNDA_NS}}}collection") if marker is not None else None) or "").strip()
    return condition_source(text) if text else ""


def _check_user_tasks(d: _Diagram, groups: set[str], users: set[str]) -> Iterable[DiagramProblem]:
    fields = d.form_fields()
    known = set(fields) | d.script_variables() | d.start_variables()
    for task in d.elements("userTask"):
        variables = set(known) | _instance_variables(task)
        collection = _collection(task)
        if collection and collection not in known:
            yield _problem("unknown-collection-variable", task, d.key, variable=collection)
        text = (task.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").strip()
        names = [g.strip() for g in text.split(",") if g.strip()]
        people = [
            name.strip()
            for attribute in ("assignee", "candidateUsers")
            for name in (task.get(f"{{{CAMUNDA_NS}}}{attribute}") or "").split(",")
            if name.strip()
        ]
        if not names and not people:
            yield _problem("missing-candidate-group", task, d.key)
        for person in people:
            if person.startswith("${") and person.endswith("}"):
                if person[2:-1].strip() not in variables:
                    yield _problem("unknown-user-variable", task, d.key, variable=person[2:-1].strip())
            elif person not in users:
                yield _problem("unknown-user", task, d.key, user=person)
        for group in names:
            if group.startswith("${") and group.endswith("}"):
                variable = group[2:-1].strip()
                if variable not in variables:
                    yield _problem("unknown-group-variable", task, d.key, variable=variable)
            elif group not in groups:
                yield _problem(
                    "unknown-candidate-group", task, d.key, group=group, known=", ".join(sorted(groups))
                )
        contact = dict(element_properties(task)).get(CUSTOMER_CONTACT)
        if contact is not None and (
            not contact_kinds(contact) or contact_kinds(contact) - set(PERSONAL_KINDS)
        ):
            yield _problem(
                "customer-contact-value", task, d.key, value=contact, known=", ".join(PERSONAL_KINDS)
            )
        yield from _check_deadline_levels(d, task, groups)
        yield from _check_awaited_parts(d, task)
        form = task.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
        if not form:
            yield _problem("missing-form", task, d.key)
        for field in form:
            staff = field.find("camunda:properties/camunda:property[@id='staffOf']", NS)
            staff_groups = (staff.get("value") or "") if staff is not None else ""
            for group in [g.strip() for g in staff_groups.split(",") if g.strip()]:
                if group not in groups:
                    yield _problem(
                        "unknown-candidate-group", task, d.key, group=group, known=", ".join(sorted(groups))
                    )
            if (field.get("type") or "string") not in FIELD_TYPES:
                yield _problem(
                    "unknown-field-type",
                    task,
                    d.key,
                    field=field.get("id") or "",
                    type=field.get("type"),
                    known=", ".join(FIELD_TYPES),
                )


def _check_task_values(d: _Diagram, zone: ZoneInfo, now: datetime) -> Iterable[DiagramProblem]:
    """camunda:dueDate, followUpDate and priority read as the case will read them."""
    variables = set(d.form_fields()) | d.script_variables() | d.start_variables()
    for task in d.elements("userTask"):
        instance_variables = variables | _instance_variables(task)
        for attribute in ("dueDate", "followUpDate", "priority"):
            written = (task.get(f"{{{CAMUNDA_NS}}}{attribute}") or "").strip()
            if not written:
                continue
            field = field_of(written)
            params = {"attribute": f"camunda:{attribute}", "value": written}
            if field is not None:
                if field not in instance_variables:
                    yield _problem("task-value-variable", task, d.key, variable=field, **params)
                continue
            try:
                if attribute == "priority":
                    task_priority(written, {})
                else:
                    task_moment(written, {}, now, zone)
            except TaskValueError:
                yield _problem("task-value-invalid", task, d.key, **params)


def _check_starters(d: _Diagram, groups: set[str], users: set[str]) -> Iterable[DiagramProblem]:
    """Candidate starter groups and users name groups and accounts that exist."""
    for attribute, known in (("candidateStarterGroups", groups), ("candidateStarterUsers", users)):
        for name in (d.process.get(f"{{{CAMUNDA_NS}}}{attribute}") or "").split(","):
            if name.strip() and name.strip() not in known:
                yield _problem("unknown-starter", d.process, d.key, starter=name.strip())


def _check_start_forms(d: _Diagram) -> Iterable[DiagramProblem]:
    """The start event's form is the intake form: the process's own start event only, filled in by the
    people of the first user task, with fields of known types."""
    for start in d.elements("startEvent"):
        form = start.findall("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
        if start.find("bpmn:extensionElements/camunda:formData", NS) is None:
            continue
        if start.getparent() is not d.process:
            yield _problem("start-form-in-subprocess", start, d.key)
            continue
        if not first_task_groups(d.process, start.get("id") or ""):
            yield _problem("start-form-nobody", start, d.key)
        for field in form:
            kind = field.get("type") or "string"
            if kind == "signature":
                yield _problem("start-form-signature", start, d.key, field=field.get("id") or "")
            elif kind not in FIELD_TYPES:
                yield _problem(
                    "unknown-field-type",
                    start,
                    d.key,
                    field=field.get("id") or "",
                    type=field.get("type"),
                    known=", ".join(FIELD_TYPES),
                )


def _sample_value(field: Any, now: datetime) -> Any:
    """A value of the field's type, to try a timer expression that reads it."""
    kind = field.get("type") or "string"
    if kind == "datetime":
        return now.isoformat()
    if kind == "date":
        return now.date().isoformat()
    if kind == "long":
        return 1
    if kind == "boolean":
        return False
    if kind == "enum":
        value = field.find("camunda:value", NS)
        return value.get("id") if value is not None else ""
    return ""


TIMER_KINDS = ("timeDate", "timeDuration", "timeCycle")
# Checking a repetition's form needs a "now"; which one does not matter.
_ANY_MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def _timer_value_problem(kind: str, value: Any) -> str | None:
    """The kind of value expected, if `value` is not one."""
    if kind == "timeCycle":
        if value == "":
            return None  # a text field's sample: what staff type is checked when the timer starts
        try:
            parse_cycle(value, _ANY_MOMENT)
        except CycleInvalid:
            return "repetition (such as R3/PT1H, R/PT10M or R3/2026-12-01T08:00:00/PT1H)"
        return None
    try:
        if kind == "timeDuration":
            iso_duration(str(value))
        else:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).strip())
            if not isinstance(moment, datetime):
                return "date and time"
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception for a bad duration
        return "duration" if kind == "timeDuration" else "date and time"
    return None


def _check_timers(
    d: _Diagram, session: Session, clock: Clock, zone: ZoneInfo, sandbox: SandboxEnvironment | None
) -> Iterable[DiagramProblem]:
    # The runtime's sandbox when given (its pool and limits); else one with the default limits. Either
    # way a timer expression that would freeze or fill the process is cut off as a script would be.
    functions = script_functions(clock, zone, script_lookups(route_pair))
    fields = d.form_fields()
    # Values only a running case has: what scripts compute and what the system starts the case with.
    script_set = (d.script_variables() | d.start_variables()) - set(fields)
    environment = SandboxEnvironment(
        functions,
        sandbox.limits.time_limit if sandbox else DEFAULT_TIME_LIMIT,
        memory_limit_mb=sandbox.limits.memory_limit_mb if sandbox else DEFAULT_MEMORY_LIMIT_MB,
        pool_size=sandbox.limits.size if sandbox else DEFAULT_POOL_SIZE,
        clock=clock,
        zone=zone,
    )
    now = clock.now().astimezone(zone)
    for definition in d.process.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        event = _owner(definition.getparent())
        if all(definition.find(f"bpmn:{kind}", NS) is None for kind in TIMER_KINDS):
            yield _problem("timer-empty", event, d.key)  # a new timer, as Camunda Modeler leaves it
            continue
        for kind in TIMER_KINDS:
            node = definition.find(f"bpmn:{kind}", NS)
            if node is None:
                continue
            original = (node.text or "").strip()
            if not original:
                yield _problem("timer-empty", event, d.key)
                continue
            expression = normalise_timer_expression(original)
            try:
                tree = check_source(expression, "eval")
            except ScriptRejected as err:
                if err.code == "script-syntax":
                    yield _problem(
                        "timer-syntax", event, d.key, expression=original, column=err.params["column"]
                    )
                else:
                    yield _problem("timer-rejected", event, d.key, expression=original, **_reason(err))
                continue
            read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            unknown = sorted(read - set(functions) - set(SAFE_BUILTINS) - set(fields) - script_set)
            if unknown:
                yield _problem("timer-unknown-name", event, d.key, variable=unknown[0])
                continue
            if read & script_set:
                continue  # a script computes it while the case runs; its scripts are checked on their own
            context = {name: _sample_value(fields[name], now) for name in read & set(fields)}
            try:
                with reference_session(session):
                    value = environment.evaluate(expression, context)
            except Exception as err:  # noqa: BLE001 - whatever the expression raises is the process owner's to fix
                yield _problem("timer-does-not-evaluate", event, d.key, expression=original, detail=err)
                continue
            expected = _timer_value_problem(kind, value)
            if expected:
                yield _problem(
                    "timer-wrong-value", event, d.key, expression=original, value=value, expected=expected
                )


_GATEWAYS = ("exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway")


def _check_gateways(d: _Diagram) -> Iterable[DiagramProblem]:
    flows = d.elements("sequenceFlow")
    for kind in ("exclusiveGateway", "parallelGateway"):
        for gateway in d.elements(kind):
            if not any(f.get("sourceRef") == gateway.get("id") for f in flows):
                yield _problem("gateway-without-outgoing", gateway, d.key)
    yield from _loops_without_gateway(d, flows)
    if d.process.find("bpmn:startEvent", NS) is None:
        yield _problem("no-start-event", d.process, d.key)
    for task in d.elements("scriptTask"):
        if not (task.findtext("bpmn:script", "", NS) or "").strip():
            yield _problem("script-empty", task, d.key)
    for gateway in d.elements("exclusiveGateway"):
        outgoing = [f for f in flows if f.get("sourceRef") == gateway.get("id")]
        default = gateway.get("default")
        if default and default not in {f.get("id") for f in outgoing}:
            yield _problem("gateway-default-not-outgoing", gateway, d.key, flow=default)
            continue  # choosing a right default is the fix; the flows need not be named again
        if len(outgoing) < 2:
            continue
        gateway_name = gateway.get("name") or gateway.get("id")
        for flow in outgoing:
            has_condition = (flow.findtext("bpmn:conditionExpression", "", NS) or "").strip()
            if not has_condition and flow.get("id") != default:
                yield _problem(
                    "gateway-flow-without-condition",
                    flow,
                    d.key,
                    name=gateway_name,
                    flow=flow.get("name") or flow.get("id"),
                )


def _loops_without_gateway(d: _Diagram, flows: list[Any]) -> Iterable[DiagramProblem]:
    """A loop of sequence flows through no gateway (task to task and back): the engine would walk it
    for ever when it looks ahead, so the first element of each such loop is named."""
    ids = [el.get("id") for el in d.process.iter() if isinstance(el.tag, str) and el.get("id")]
    if len(ids) != len(set(ids)):
        return  # the flows cannot be followed; the schema names the id used twice
    by_id = d.by_id()
    gateways = {el.get("id") for kind in _GATEWAYS for el in d.elements(kind)}
    following: dict[str, list[str]] = {}
    for flow in flows:
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source and target and source not in gateways and target not in gateways:
            following.setdefault(source, []).append(target)
    done: set[str] = set()
    for start in sorted(following):
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            if index == 0:
                if node in done:
                    continue
                path.append(node)
                on_path.add(node)
            nexts = following.get(node, [])
            if index < len(nexts):
                stack.append((node, index + 1))
                target = nexts[index]
                if target in on_path:
                    loop = path[path.index(target) :]
                    yield _problem("loop-without-gateway", by_id.get(target), d.key, steps=len(loop))
                    done.update(loop)
                    return
                if target not in done:
                    stack.append((target, 0))
            else:
                done.add(node)
                on_path.discard(node)
                path.pop()


def _decision_outputs(d: _Diagram, session: Session) -> set[str]:
    """What the deployed decisions the diagram's business rule tasks call put in the case data."""
    names: set[str] = set()
    for task in d.elements("businessRuleTask"):
        ref, version = decision_reference(task)
        if not ref:
            continue
        try:
            names |= set(table_of(decision_version(session, ref, version)).outputs)
        except (NotFound, DecisionInvalid):
            continue  # said by _check_decisions
    return names


def _check_calls(d: _Diagram, session: Session) -> Iterable[DiagramProblem]:
    """A call activity's procedure must be deployed (in the version it binds) before its caller is, so
    that no case reaches a call that cannot open its child. The diagram calling itself is deployed with
    it; an expression for calledElement is refused by the construct check."""
    for call in d.elements("callActivity"):
        called = (call.get("calledElement") or "").strip()
        if not called or called == d.key or "{" in called:
            continue
        binding = (call.get(f"{{{CAMUNDA_NS}}}calledElementBinding") or "latest").strip()
        latest = latest_definition(session, called, required=False)
        if latest is None:
            near = get_close_matches(called, deployed_keys(session), n=1, cutoff=0.6)
            if near:
                yield _problem("call-not-deployed-near", call, d.key, procedure=called, near=near[0])
            else:
                yield _problem("call-not-deployed", call, d.key, procedure=called)
            continue
        if binding != "version":
            continue
        written = (call.get(f"{{{CAMUNDA_NS}}}calledElementVersion") or "").strip()
        if not written.isdigit():
            yield _problem("call-version-invalid", call, d.key, procedure=called, version=written)
        elif not has_version(session, called, int(written)):
            yield _problem(
                "call-version-not-deployed",
                call,
                d.key,
                procedure=called,
                version=written,
                latest=latest.version,
            )


def _check_decisions(d: _Diagram, session: Session) -> Iterable[DiagramProblem]:
    known = set(d.form_fields()) | d.script_variables() | d.start_variables() | _decision_outputs(d, session)
    for task in d.elements("businessRuleTask"):
        ref, version = decision_reference(task)
        binding = (task.get(f"{{{CAMUNDA_NS}}}decisionRefBinding") or "latest").strip()
        written_version = (task.get(f"{{{CAMUNDA_NS}}}decisionRefVersion") or "").strip()
        if not ref:
            yield _problem("decision-without-ref", task, d.key)
            continue
        if binding not in BINDINGS:
            yield _problem("decision-binding", task, d.key, binding=binding)
            continue
        if binding == "version" and version is None:
            yield _problem("decision-version-invalid", task, d.key, version=written_version)
            continue
        try:
            table = table_of(decision_version(session, ref, version))
        except (NotFound, DecisionInvalid):
            shown = f" v{version}" if version is not None else ""
            yield _problem("decision-not-deployed", task, d.key, decision=ref, version=shown)
            continue
        for name in table.inputs:
            if name not in known:
                yield _problem("decision-unknown-input", task, d.key, decision=ref, variable=name)
                break


def _rejected(kind: str, element: Any, key: str | None, err: ScriptRejected) -> DiagramProblem:
    """A condition or script the sandbox refuses; one Python cannot read is said by line and column."""
    if err.code == "script-syntax":
        return _problem(f"{kind}-syntax", element, key, **err.params)
    return _problem(f"{kind}-rejected", element, key, **_reason(err))


def _reason(err: ScriptRejected) -> dict[str, Any]:
    """The sandbox's reason as a problem's parameters: its template (`detail`, said in the problem's
    language) and the template's own parameters (line, name, limit)."""
    template = err.TEMPLATES.get(err.code)
    if template is None:  # a refusal without a template of its own is said as it is (in English)
        return {"detail": str(err).replace("%", "%%")}
    return {**err.params, "detail": template}


def _check_code(d: _Diagram, decided: frozenset[str] = frozenset()) -> Iterable[DiagramProblem]:
    # What a condition or script may read: a form field, what a script of this diagram or the system
    # (startVariables) sets, what a decision of it sets, what it sets itself, an offered builtin or a
    # script function.
    known = (
        set(decided)
        | set(d.form_fields())
        | d.script_variables()
        | d.start_variables()
        | set(SAFE_BUILTINS)
        | set(script_functions(_NAMES_ONLY_CLOCK, ZoneInfo("UTC"), script_lookups()))
    )

    def unknown(element: Any, tree: ast.AST) -> Iterable[DiagramProblem]:
        names = sorted(loaded_names(tree) - known - stored_names(tree))
        if names:
            yield _problem("code-unknown-name", element, d.key, variable=names[0])

    for flow in d.elements("sequenceFlow"):
        condition = condition_source(flow.findtext("bpmn:conditionExpression", "", NS) or "")
        if condition:
            try:
                tree = check_source(condition, "eval")
            except ScriptRejected as err:
                yield _rejected("condition", flow, d.key, err)
                continue
            yield from unknown(flow, tree)
    for step in [*d.elements("scriptTask"), *d.elements("userTask")]:
        try:
            io_mapping(step)
        except MappingUnreadable as err:
            yield _problem("io-value-unreadable", step, d.key, parameter=err.parameter)
    for task in d.elements("userTask"):
        marker = task.find("bpmn:multiInstanceLoopCharacteristics", NS)
        for tag in ("loopCardinality", "completionCondition") if marker is not None else ():
            expression = condition_source(marker.findtext(f"bpmn:{tag}", "", NS) or "")
            if not expression:
                continue
            try:
                tree = check_source(expression, "eval")
            except ScriptRejected as err:
                yield _rejected("condition", task, d.key, err)
                continue
            names = sorted(
                loaded_names(tree)
                - known
                - set(INSTANCE_COUNTERS)
                - _instance_variables(task)
                - set(d.form_fields())
            )
            if names:
                yield _problem("code-unknown-name", task, d.key, variable=names[0])
    for task in d.elements("scriptTask"):
        source = task.findtext("bpmn:script", "", NS) or ""
        result = (task.get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip()
        if result and storing_result(source, result) is None:
            yield _problem("result-variable-no-expression", task, d.key, variable=result)
            continue
        try:
            tree = check_source(source, "exec")
        except ScriptRejected as err:
            yield _rejected("script", task, d.key, err)
            continue
        yield from unknown(task, tree)


class _NamesOnly:
    """A clock for listing the script functions' names; none of them is called."""

    def now(self) -> datetime:
        return datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))


_NAMES_ONLY_CLOCK = _NamesOnly()


def _check_layout(d: _Diagram) -> Iterable[DiagramProblem]:
    shapes = {
        s.get("bpmnElement")
        for s in d.root.iterfind(".//bpmndi:BPMNShape", NS)
        if s.find("dc:Bounds", NS) is not None
    }
    edges = {
        e.get("bpmnElement")
        for e in d.root.iterfind(".//bpmndi:BPMNEdge", NS)
        if len(e.findall("di:waypoint", NS)) >= 2
    }
    for tag in DRAWN:
        for element in d.elements(tag):
            if element.get("id") not in shapes:
                yield _problem("missing-layout", element, d.key)
    for flow in d.elements("sequenceFlow"):
        if flow.get("id") not in edges:
            yield _problem("missing-layout", flow, d.key)


# Properties that are names shown on pages (English names, labels).
_NAME_PROPERTIES = ("name_en", "label_en")


# The longest element id or process key the database keeps (its columns for them are 100 long).
MAX_ID_LENGTH = 100


def _check_id_lengths(d: _Diagram) -> Iterable[DiagramProblem]:
    for element in d.process.iter():
        if isinstance(element.tag, str) and len(element.get("id") or "") > MAX_ID_LENGTH:
            yield _problem("id-too-long", element, d.key, length=len(element.get("id")), limit=MAX_ID_LENGTH)


def _check_name_lengths(d: _Diagram) -> Iterable[DiagramProblem]:
    """Names and labels are shown on every list and form: a name of a few hundred thousand characters
    made every page megabytes long. The problem names the element by its id (its name is the problem)."""
    for element in d.root.iter():
        if not isinstance(element.tag, str):
            continue
        texts = [("name", element.get("name") or "")]
        if element.tag == f"{{{CAMUNDA_NS}}}formField":
            texts.append(("label", element.get("label") or ""))
        if element.tag == f"{{{CAMUNDA_NS}}}property" and element.get("name") in _NAME_PROPERTIES:
            texts = [(element.get("name"), element.get("value") or "")]
        for what, text in texts:
            if len(text) > MAX_NAME_LENGTH:
                # A field's label or a property belongs to the BPMN element around it (the user task).
                owner = element if element.tag.startswith(f"{{{BPMN_NS}}}") else _owner(element)
                element_id = owner.get("id") if owner is not None else None
                named = element.get("id") if element.tag == f"{{{CAMUNDA_NS}}}formField" else element_id
                params = {"what": what, "name": named or "", "length": len(text), "limit": MAX_NAME_LENGTH}
                yield DiagramProblem(element_id, None, "name-too-long", d.key, as_params(params))


def _check_variable_labels(d: _Diagram) -> Iterable[DiagramProblem]:
    """Process properties label:<variable> / values:<variable> that the pages could not read."""
    _labels, problems = read_variable_labels(element_properties(d.process))
    for detail in problems:
        yield _problem("variable-label", d.process, d.key, detail=detail)


def _check_rule_ids(d: _Diagram, rules: frozenset[str]) -> Iterable[DiagramProblem]:
    if not rules:
        return
    groups = {rule[0] for rule in rules}
    # The whole file, as the traceability reads it: a pool's documentation names rules too.
    for doc in d.root.iter(f"{{{BPMN_NS}}}documentation"):
        named = {r for r in rule_ids_in(doc.text or "") if r[0] in groups}
        for rule in sorted(named - rules):
            yield _problem("unknown-rule-id", _owner(doc.getparent()), d.key, rule=rule)


# --- diagram roles -----------------------------------------------------------------------------------
# What the figures, the weekly sample, the handover and the intake page read from a diagram (its roles,
# engine.bpmn.roles) must be well-formed and point at a task that can carry it: a renamed step keeps
# its role, a misspelt or misplaced role is refused here instead of silently dropping out of a KPI.

MESSAGES.update(ROLE_MESSAGES)


def _check_roles(d: _Diagram) -> Iterable[DiagramProblem]:
    _roles, problems = read_roles(d.process)
    for problem in problems:
        yield _problem(problem.code, problem.element, d.key, **problem.params)


def _spiff_problems(
    xml: bytes, d: _Diagram, flagged: set[str | None], refused: bool
) -> Iterable[DiagramProblem]:
    """What the engine's own parser refuses, unless a check above already named that element. With
    constructs refused, a problem of the whole file is theirs (a call activity's missing process)."""
    try:
        parse_definition(xml, f"{d.key or 'diagram'}.bpmn")
    except DefinitionError as err:
        elements = d.by_id()
        for problem in err.problems:
            element = elements.get(problem.element_id) if problem.element_id else None
            if element is not None:
                element = named_element(element)  # a condition's flow, an event definition's event
            if element is None and refused:
                continue
            if element is not None and (element.get("id") in flagged or element.get("sourceRef") in flagged):
                continue  # already named, or a flow of a gateway already named
            schema = schema_problem(problem.reason)
            if problem.code is not None:
                found = _problem(
                    problem.code, element, d.key, line=problem.line or "?", **dict(problem.params)
                )
            elif schema is not None:
                code, params = schema
                found = _problem(code, element, d.key, line=problem.line or "?", **params)
            else:
                found = _problem("bpmn-invalid", element, d.key, detail=problem.reason)
            if element is None and problem.element_id:  # the definitions, a flow's missing end: named by id
                params = dict(found.params)
                params["name"] = params.get("name") or problem.element_id
                found = DiagramProblem(problem.element_id, None, found.code, d.key, as_params(params))
            yield found


def diagram_key(xml: bytes) -> str | None:
    """The id of the diagram's executable process, if the file can be read that far."""
    try:
        d = _read(xml)
    except _Refused:
        return None
    return d.key


def callees_first(xmls: list[bytes]) -> list[int]:
    """The order to deploy these diagrams in (their indexes): a procedure a call activity of another
    calls comes before its caller, so one batch may hold both; otherwise the order given."""
    keys = [diagram_key(xml) for xml in xmls]
    calls: list[set[str]] = []
    for xml in xmls:
        try:
            d = _read(xml)
        except _Refused:
            calls.append(set())
            continue
        calls.append({(c.get("calledElement") or "").strip() for c in d.elements("callActivity")} - {d.key})
    order: list[int] = []
    placing: set[int] = set()

    def place(index: int) -> None:
        if index in order or index in placing:
            return  # placed, or a cycle of calls: the order given decides
        placing.add(index)
        for other, key in enumerate(keys):
            if key is not None and key in calls[index] and other != index:
                place(other)
        order.append(index)

    for index in range(len(xmls)):
        place(index)
    return order


class _Refused(HotlineError):
    """A file read no further than its first problem (not XML, not BPMN, not one process)."""

    def __init__(self, problem: DiagramProblem) -> None:
        super().__init__(problem.message, code=problem.code, params=dict(problem.params))
        self.problem = problem


def _read(xml: bytes) -> _Diagram:
    try:
        root = parse_xml(xml)
    except UnsafeXml as err:
        params = {"line": "?", "column": "?", "byte": "?", "size": len(xml), "limit": 0, **err.params}
        raise _Refused(_problem(err.code, None, None, **params)) from err
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise _Refused(_problem("not-bpmn", None, None))
    processes = [
        p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "true").lower() == "true"
    ]
    if len(processes) != 1:
        raise _Refused(_problem("process-count", None, None, count=len(processes)))
    if not (processes[0].get("id") or "").strip():
        raise _Refused(_problem("process-without-id", None, None))
    return _Diagram(root, processes[0], processes[0].get("id"))


def validate_diagram(
    session: Session,
    xml: bytes,
    clock: Clock,
    zone: ZoneInfo,
    *,
    sandbox: SandboxEnvironment | None = None,
) -> list[DiagramProblem]:
    """Every problem that keeps this diagram from being deployed; an empty list means it may be.
    Timer expressions are tried under the limits of `sandbox` (the runtime's; default limits if None)."""
    try:
        d = _read(xml)
    except _Refused as refused:
        return [refused.problem]
    findings = check_constructs(d.root, d.process)
    refusals = [_from_finding(f, d.key) for f in findings if f.refused]
    groups, users = known_groups(session), known_usernames(session)
    problems = [
        *_check_user_tasks(d, groups, users),
        *_check_starters(d, groups, users),
        *_check_task_values(d, zone, clock.now()),
        *_check_start_forms(d),
        *_check_timers(d, session, clock, zone, sandbox),
        *_check_gateways(d),
        *_check_code(d, frozenset(_decision_outputs(d, session))),
        *_check_decisions(d, session),
        *_check_calls(d, session),
        *_check_layout(d),
        *_check_rule_ids(d, rule_list()),
        *_check_variable_labels(d),
        *_check_roles(d),
        *_check_name_lengths(d),
        *_check_id_lengths(d),
    ]
    said = _said_by_refusals(refusals)
    problems = refusals + [p for p in problems if p.code not in said.get(p.element_id, ())]
    problems += _spiff_problems(xml, d, {p.element_id for p in problems}, bool(refusals))
    return problems


# What another check says about an element whose refusal already says it: a task given to a person has
# no candidate group; JUEL or Groovy does not compile as Python.
_SAID_BY_THE_REFUSAL: dict[str, frozenset[str]] = {
    "construct-condition-juel": frozenset({"condition-rejected", "condition-syntax", "code-unknown-name"}),
    "construct-condition-feel": frozenset({"condition-rejected", "condition-syntax", "code-unknown-name"}),
    "construct-condition-language": frozenset(
        {"condition-rejected", "condition-syntax", "code-unknown-name"}
    ),
    "construct-scriptformat-other": frozenset({"script-rejected", "script-syntax", "code-unknown-name"}),
    "construct-resource": frozenset(
        {"script-rejected", "script-syntax", "script-empty", "code-unknown-name"}
    ),
    "construct-decisionrefversiontag": frozenset({"decision-not-deployed", "decision-unknown-input"}),
    "construct-mapdecisionresult": frozenset({"decision-not-deployed", "decision-unknown-input"}),
}


def _said_by_refusals(refusals: list[DiagramProblem]) -> dict[str | None, set[str]]:
    said: dict[str | None, set[str]] = {}
    for refusal in refusals:
        said.setdefault(refusal.element_id, set()).update(_SAID_BY_THE_REFUSAL.get(refusal.code, ()))
    return said


def _from_finding(finding: Finding, key: str | None) -> DiagramProblem:
    return _problem(finding.construct.code, finding.element, key, **dict(finding.params))


def _looks_personal(field: Any) -> bool:
    label = field.get("label") or ""
    return bool(PERSONAL_ID_HINT.search(field.get("id") or "")) or any(
        h in label for h in PERSONAL_LABEL_HINTS
    )


def _declares_personal(field: Any) -> bool:
    return any(
        prop.get("id") == "personal" and (prop.get("value") or "").strip()
        for prop in field.iterfind("camunda:properties/camunda:property", NS)
    )


def diagram_warnings(xml: bytes) -> list[DiagramWarning]:
    """What deploys but deserves a look: a Camunda setting or another tool's extension that is not
    read (engine/bpmn/constructs.py); a text field whose id or label suggests a customer's personal
    data (name, phone, contact, address, 姓名, 电话, 联系, 地址, …) without the property `personal`."""
    try:
        d = _read(xml)
    except _Refused:
        return []
    warnings: list[DiagramWarning] = []
    for finding in check_constructs(d.root, d.process):
        if not finding.refused:
            found = _from_finding(finding, d.key)
            warnings.append(
                DiagramWarning(found.element_id, found.element_name, found.code, d.key, found.params)
            )
    for task in d.elements("userTask"):
        for field in task.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NS):
            if (field.get("type") or "string") != "string" or _declares_personal(field):
                continue
            if _looks_personal(field):
                problem = _problem(
                    "undeclared-personal-field",
                    task,
                    d.key,
                    field=field.get("id") or "",
                    label=field.get("label") or "",
                )
                warnings.append(
                    DiagramWarning(
                        problem.element_id,
                        problem.element_name,
                        problem.code,
                        problem.process_key,
                        problem.params,
                    )
                )
    return warnings
