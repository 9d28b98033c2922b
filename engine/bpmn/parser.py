"""Reading BPMN files: parse, check, and describe what the engine and the forms need.

A file is refused as a whole, with the file name, the element id and the reason, when it does not
parse, does not validate, or uses something the engine cannot run.
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import UserTaskParser
from SpiffWorkflow.camunda.specs.user_task import UserTask

from engine.bpmn.business_rules import DecisionTask, DecisionTaskParser
from engine.bpmn.case_calls import CaseCall, CaseCallParser
from engine.bpmn.deadline_levels import ESCALATE, WARN_AT, DeadlineLevel, LevelError, parse_levels
from engine.bpmn.effects import Effect, read_effects
from engine.bpmn.external_tasks import ExternalTask, ExternalTaskParser, RetryCycleInvalid, parse_retry_cycle
from engine.bpmn.form_fields import FieldDef, FormDefinitionError, field_from_spiff
from engine.bpmn.io_mappings import IoMapping, MappingUnreadable, io_mapping
from engine.bpmn.juel import python_of
from engine.bpmn.multi_instance import MultiInstanceUserTaskParser, form_spec
from engine.bpmn.roles import DiagramRoles, read_roles
from engine.bpmn.safe_xml import UnsafeXml, parse_xml
from engine.bpmn.sandbox import RESERVED_NAMES, ScriptRejected, check_source
from engine.bpmn.schema_errors import plain_names
from engine.bpmn.timer_events import (
    ClockCycleTimerEventDefinition,
    ClockDurationTimerEventDefinition,
    ClockFirstCycleEventDefinition,
    ClockTimeDateEventDefinition,
    CycleInvalid,
    parse_cycle,
)
from engine.bpmn.variable_labels import VariableLabel, read_variable_labels
from engine.errors import HotlineError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_ISO_LITERAL = re.compile(r"^(R\d*/.*|P(?=\d|T\d)[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]*)?)$")
_CAMUNDA_EXPRESSION = re.compile(r"^[$#]\{(.*)\}$", re.S)
# Checking a literal repetition's form needs a "now"; which one does not matter.
_ANY_MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
_GROUP_EXPRESSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Problem:
    element_id: str
    reason: str
    line: int | None = None
    # A problem validation says in the user's language: its code (engine/processes/validation.py) and
    # parameters; without one, the reason is said as SpiffWorkflow's detail.
    code: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f"element '{self.element_id}'" if self.element_id else "file"
        line = f" (line {self.line})" if self.line else ""
        return f"{where}{line}: {self.reason}"


class DefinitionError(HotlineError, ValueError):
    """A BPMN file that cannot be deployed; says which file, which elements, and why.

    The error's element and line are those of the first problem; `notes` are SpiffWorkflow's."""

    code = "definition-invalid"

    def __init__(self, file_name: str, problems: list[Problem], notes: Iterable[str] = ()) -> None:
        first = problems[0] if problems else None
        super().__init__(
            f"{file_name}: " + "; ".join(str(p) for p in problems),
            element_id=(first.element_id or None) if first else None,
            params={"file": file_name, "count": len(problems)},
            line=first.line if first else None,
            notes=notes,
        )
        self.file_name = file_name
        self.problems = problems


@dataclass(frozen=True)
class UserTaskInfo:
    element_id: str
    name: str
    name_en: str
    candidate_groups: str
    documentation: str
    fields: tuple[FieldDef, ...]
    help: str = ""
    help_en: str = ""
    # Property customer_contact = the kinds of personal data (name, phone, address, text) whoever does
    # this step needs in full to visit or call the customer; the rest stays masked, and every view in
    # full is recorded (M6); docs/access.md.
    customer_contact: frozenset[str] = frozenset()
    # camunda:assignee and camunda:candidateUsers as written: user names, or ${field} from the case data.
    assignee: str = ""
    candidate_users: str = ""
    # camunda:dueDate, followUpDate and priority as written (engine.bpmn.task_dates reads them).
    due_date: str = ""
    follow_up_date: str = ""
    priority: str = ""
    # Properties warnAt / escalate: the graded deadline's levels (engine.bpmn.deadline_levels).
    deadline_levels: tuple[DeadlineLevel, ...] = ()
    # Property awaitsParts = a multi-instance step beside this one (a lead department's assisting parts,
    # 主办/协办) whose open instances hold up this step's completion while they are within their deadline;
    # completed when they are past it, those are withdrawn. awaitsPartsWhen = 'field=value': only a
    # completion with that value waits (the reply, not an extension request); without it every one does.
    awaits_parts: str = ""
    awaits_parts_when: tuple[str, str] | None = None

    def help_text(self, language: str) -> str:
        """The step explained to the person doing it (property help / help_en); '' when the diagram has none."""
        return self.help_en if language == "en" and self.help_en else self.help


@dataclass
class ParsedDefinition:
    """A parsed, checked diagram: immutable once built, shared by every instance of that content."""

    key: str
    name: str
    content_hash: str
    case_prefix: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    element_names: dict[str, str] = field(default_factory=dict)
    element_names_en: dict[str, str] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)
    name_en: str = ""
    documentation: str = ""
    description: str = ""
    description_en: str = ""
    variable_labels: dict[str, VariableLabel] = field(default_factory=dict)
    roles: DiagramRoles = field(default_factory=DiagramRoles)
    # The start event's form (camunda:formData), when the diagram has one: the intake form that opens a
    # case, with the groups who may fill it in as its candidate groups.
    start_form: UserTaskInfo | None = None
    # Who may open a case, where the process names them (camunda:candidateStarterGroups, and
    # candidateStarterUsers as user_candidate entries); empty: the people of the intake form's step.
    starters: tuple[str, ...] = ()
    # camunda:isStartableInTasklist="false": only the system opens its cases (never staff's intake).
    startable: bool = True
    # camunda:initiator of the start event: the case data item that keeps who opened the case.
    initiator: str = ""
    # User tasks' camunda:inputOutput by element id (a script task's is written into its script).
    io_mappings: dict[str, IoMapping] = field(default_factory=dict)

    def may_open(self, intake: UserTaskInfo, username: str, roles: Iterable[str]) -> bool:
        """Whether someone may open a case of the procedure through its intake form."""
        allowed = self.starters or tuple(g.strip() for g in intake.candidate_groups.split(",") if g.strip())
        return self.startable and bool(set(allowed) & {*roles, user_candidate(username)})

    def description_text(self, language: str) -> str:
        """The procedure explained to staff (property description / description_en); '' when absent."""
        return self.description_en if language == "en" and self.description_en else self.description

    @cached_property
    def fields(self) -> dict[str, FieldDef]:
        """Every form field by id: the first task that declares it wins, but a field that any task
        declares personal is personal wherever it is shown."""
        found: dict[str, FieldDef] = {}
        forms = [self.start_form] if self.start_form else []
        for info in [*forms, *self.user_tasks.values()]:
            for f in info.fields:
                first = found.setdefault(f.id, f)
                if f.personal and not first.personal:
                    found[f.id] = replace(first, personal=f.personal)
        return found

    @cached_property
    def outside_waits(self) -> frozenset[str]:
        """What steps of the diagram wait for the outside: "external" (external tasks), "events"
        (message or signal catches), "calls" (call activities); a case of a diagram without one never
        reads or writes those rows."""
        found = set()
        for spec in (self.spec, *self.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                definition = getattr(task_spec, "event_definition", None)
                if isinstance(task_spec, ExternalTask):
                    found.add("external")
                elif isinstance(task_spec, CaseCall):
                    found.add("calls")
                elif isinstance(definition, MessageEventDefinition | SignalEventDefinition):
                    found.add("events")
        return frozenset(found)

    @cached_property
    def multi_instance_steps(self) -> tuple[str, ...]:
        """The user tasks that run once per item (engine.bpmn.multi_instance), in the file's order."""
        return tuple(
            element_id
            for element_id in self.user_tasks
            if isinstance(self.spec.task_specs.get(element_id), MultiInstanceTask)
        )

    @cached_property
    def personal_fields(self) -> dict[str, str]:
        """The fields declared personal data (property `personal`), with their kind."""
        return {f.id: f.personal for f in self.fields.values() if f.personal}


def content_hash(xml: bytes) -> str:
    return hashlib.sha256(xml).hexdigest()


def condition_source(text: str) -> str:
    """A condition as the sandbox runs it: JUEL in its common forms (${approved}, ${a && !b}) as Python,
    anything else as written (Python, or JUEL the check refuses)."""
    stripped = (text or "").strip()
    return python_of(stripped) or stripped


def normalise_timer_expression(text: str) -> str:
    """Accept timers as Camunda Modeler writes them (PT2H, ${var}) as well as Python expressions."""
    stripped = (text or "").strip()
    match = _CAMUNDA_EXPRESSION.match(stripped)
    if match:
        return match.group(1).strip()
    if _ISO_LITERAL.match(stripped):
        return repr(stripped)
    return stripped


class _ClockTimerMixin:
    def parse_timer_event(self, event: Any) -> Any:
        definition = super().parse_timer_event(event)  # type: ignore[misc]
        if isinstance(definition, TimeDateEventDefinition):
            return ClockTimeDateEventDefinition(
                definition.name, definition.expression, description=definition.description
            )
        if isinstance(definition, DurationTimerEventDefinition):
            return ClockDurationTimerEventDefinition(
                definition.name, definition.expression, description=definition.description
            )
        if isinstance(definition, CycleTimerEventDefinition):
            # Repeating only where each repetition has something to do: a non-interrupting boundary event
            # (a reminder while its task is open). Elsewhere the first time decides (docs/modelling.md).
            node = self.node  # type: ignore[attr-defined]
            repeats = node.tag == full_tag("boundaryEvent") and node.get("cancelActivity") == "false"
            cycle_class = ClockCycleTimerEventDefinition if repeats else ClockFirstCycleEventDefinition
            return cycle_class(definition.name, definition.expression, description=definition.description)
        return definition


class _CaseMessageMixin:
    """A message caught from outside (POST /api/v1/messages) sets its variables in the case data, as a
    receive task's does, instead of Camunda's single <element>_Response variable."""

    def parse_message_event(self, message_event: Any) -> Any:
        definition = super().parse_message_event(message_event)  # type: ignore[misc]
        return MessageEventDefinition(definition.name, definition.correlation_properties)


class _StartEventParser(_ClockTimerMixin, CamundaStartEventParser):
    # A start event's camunda:formData is the procedure's intake form, read as a user task's form is.
    get_form = UserTaskParser.get_form
    get_enum_field = UserTaskParser.get_enum_field

    def create_task(self) -> Any:
        spec = super().create_task()
        spec.form = self.get_form()
        return spec


class _CatchEventParser(_CaseMessageMixin, _ClockTimerMixin, CamundaIntermediateCatchEventParser):
    pass


class _BoundaryEventParser(_CaseMessageMixin, _ClockTimerMixin, CamundaBoundaryEventParser):
    pass


class HotlineParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, StartEvent),
        full_tag("userTask"): (MultiInstanceUserTaskParser, UserTask),
        full_tag("intermediateCatchEvent"): (_CatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTask),
        full_tag("callActivity"): (CaseCallParser, CaseCall),
        full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
    }


class SchemaInvalid(HotlineError):
    """Every complaint the BPMN schema has about a file, as (message, line), not only its last one;
    parse_definition says them as a DefinitionError."""

    code = "schema-invalid"

    def __init__(self, errors: list[tuple[str, int | None]], file_name: str | None) -> None:
        message, line = errors[-1] if errors else ("the file does not follow the BPMN 2.0 schema", None)
        super().__init__(f"{file_name or 'file'}: {message}", line=line)
        self.errors = errors


class _SchemaValidator(BpmnValidator):
    """SpiffWorkflow's schema check, saying every complaint at once; one file at a time, because the
    schema keeps the complaints of the file it checked last."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def validate(self, bpmn: Any, filename: str | None = None) -> None:
        with self._lock:
            self.preprocess(bpmn)
            if self.validator.validate(bpmn):
                return
            errors = [(error.message, error.line or None) for error in self.validator.error_log]
        raise SchemaInvalid(errors, filename)


_validator_lock = threading.Lock()
_validator: _SchemaValidator | None = None


def _schema_validator() -> _SchemaValidator:
    global _validator
    with _validator_lock:
        if _validator is None:
            _validator = _SchemaValidator()
        return _validator


def _element_id(node: Any) -> str:
    while node is not None:
        element_id = node.get("id")
        if element_id:
            return str(element_id)
        node = node.getparent()
    return ""


def _element_at_line(root: Any, line: int) -> str:
    for element in root.iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            return _element_id(element)
    return ""


def _check_references(root: Any, process: Any) -> list[Problem]:
    """Spiff reports a flow to a missing element misleadingly; say it plainly."""
    problems = []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    bpmn_ids = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}*") if el.get("id")}
    for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
        for end in ("sourceRef", "targetRef"):
            ref = flow.get(end)
            if not ref:
                problems.append(
                    Problem(
                        flow.get("id", ""),
                        f"sequence flow has no {end}",
                        flow.sourceline,
                        "flow-end-missing",
                        (("end", end),),
                    )
                )
            elif ref not in ids:
                problems.append(
                    Problem(
                        flow.get("id", ""),
                        f"{end} '{ref}' names no element in this file",
                        flow.sourceline,
                        "flow-end-unknown",
                        (("end", end), ("ref", ref)),
                    )
                )
    # SpiffWorkflow finds elements by id anywhere in the file: a form field or value sharing a BPMN
    # element's id makes that element unreadable, with a message that does not say why.
    for node in process.iter(f"{{{CAMUNDA_NS}}}formField", f"{{{CAMUNDA_NS}}}value"):
        if node.get("id") in bpmn_ids:
            kind = "form field" if node.tag.endswith("formField") else "enum value"
            owner = next(
                a for a in node.iterancestors() if a.tag.startswith(f"{{{BPMN_NS}}}") and a.get("id")
            )
            problems.append(
                Problem(
                    owner.get("id"),
                    f"{kind} id '{node.get('id')}' is also the id of a diagram element; rename one of them",
                    node.sourceline,
                    "field-id-shared",
                    (("field", node.get("id")),),
                )
            )
    for boundary in process.iterfind(".//bpmn:boundaryEvent", NS):
        ref = boundary.get("attachedToRef")
        if ref not in ids:
            problems.append(
                Problem(
                    boundary.get("id", ""),
                    f"attached to '{ref}', which is not in this file",
                    boundary.sourceline,
                    "boundary-unattached",
                    (("ref", ref or ""),),
                )
            )
    return problems


def _check_expressions(root: Any) -> list[Problem]:
    """Every script, condition and timer must pass the sandbox's checks before it is deployed."""
    problems = []

    def check(node: Any, source: str, mode: str) -> None:
        try:
            check_source(source, mode)
        except ScriptRejected as err:
            problems.append(Problem(_element_id(node), f"{err}", node.sourceline))

    for script in root.iterfind(".//bpmn:scriptTask/bpmn:script", NS):
        result = (script.getparent().get(f"{{{CAMUNDA_NS}}}resultVariable") or "").strip()
        if result:
            stored = storing_result(script.text or "", result)
            if stored is None:
                problems.append(
                    Problem(
                        _element_id(script),
                        f"camunda:resultVariable {result}: the script's last line must be an expression "
                        "whose value it stores, and the name a Python name",
                        script.sourceline,
                    )
                )
                continue
            script.text = stored
        try:
            mapping = io_mapping(script.getparent())
        except MappingUnreadable as err:
            problems.append(Problem(_element_id(script), str(err), script.sourceline))
            continue
        if mapping is not None:  # no local scope: the inputs before the script, the outputs after it
            script.text = f"{mapping.input_script()}{script.text or ''}\n{mapping.output_script()}"
        check(script, script.text or "", "exec")
    for condition in root.iterfind(".//bpmn:conditionExpression", NS):
        condition.text = condition_source(condition.text or "")
        check(condition, condition.text, "eval")
    for tag in ("loopCardinality", "completionCondition"):
        for node in root.iterfind(f".//bpmn:multiInstanceLoopCharacteristics/bpmn:{tag}", NS):
            if not (node.text or "").strip():
                problems.append(
                    Problem(_element_id(node), f"the multi-instance {tag} is empty", node.sourceline)
                )
                continue
            node.text = condition_source(node.text)
            check(node, node.text, "eval")
    for cycle in root.iterfind(
        ".//bpmn:serviceTask/bpmn:extensionElements/camunda:failedJobRetryTimeCycle", NS
    ):
        try:
            parse_retry_cycle(cycle.text or "")
        except RetryCycleInvalid:
            problems.append(
                Problem(
                    _element_id(cycle),
                    f"the retry time cycle '{(cycle.text or '').strip()}' is not R<tries>/<duration> "
                    "(R3/PT5M) or a list of durations (PT1M,PT5M)",
                    cycle.sourceline,
                )
            )
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for timer in root.iterfind(f".//bpmn:{tag}", NS):
            if not (timer.text or "").strip():
                problems.append(Problem(_element_id(timer), f"the timer's {tag} is empty", timer.sourceline))
                continue
            if tag == "timeCycle" and not _CAMUNDA_EXPRESSION.match(timer.text.strip()):
                try:  # a literal repetition is checked now; one read from the case data when it runs
                    parse_cycle(timer.text, _ANY_MOMENT)
                except CycleInvalid as err:
                    problems.append(
                        Problem(
                            _element_id(timer),
                            f"the timer's timeCycle '{timer.text.strip()}' is not {err}",
                            timer.sourceline,
                        )
                    )
                    continue
            timer.text = normalise_timer_expression(timer.text)
            check(timer, timer.text, "eval")
    return problems


def storing_result(source: str, variable: str) -> str | None:
    """The script with its last statement's value stored in `variable` (camunda:resultVariable), as
    Camunda stores a script's value; None when the last statement is no expression or the name is no
    Python name. The rest of the script keeps its lines, so a failing line is still reported as written."""
    if not variable.isidentifier():
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source  # the sandbox's check names the syntax error
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return None
    last = tree.body[-1]
    lines = source.splitlines(keepends=True)
    row = lines[last.lineno - 1]
    offset = len(row.encode("utf-8")[: last.col_offset].decode("utf-8"))
    lines[last.lineno - 1] = f"{row[:offset]}{variable} = {row[offset:]}"
    return "".join(lines)


def _executable_process(root: Any, file_name: str) -> Any:
    processes = [
        p for p in root.iterfind("bpmn:process", NS) if p.get("isExecutable", "true").lower() == "true"
    ]
    if len(processes) != 1:
        raise DefinitionError(
            file_name,
            [Problem("", f"a file must hold exactly one executable process; found {len(processes)}")],
        )
    if not (processes[0].get("id") or "").strip():
        raise DefinitionError(
            file_name, [Problem("", "the executable process has no id (the procedure's key)")]
        )
    return processes[0]


def _process_property(process: Any, name: str) -> str | None:
    for prop in process.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS):
        if prop.get("name") == name:
            value = prop.get("value")
            return None if value is None else str(value)
    return None


# The user-task property naming the personal data a step's people need to reach the customer.
CUSTOMER_CONTACT = "customer_contact"


def contact_kinds(value: str) -> frozenset[str]:
    """The kinds of personal data a customer_contact property names ("phone, address")."""
    return frozenset(kind.strip() for kind in value.split(",") if kind.strip())


def element_properties(node: Any) -> list[tuple[str, str]]:
    """An element's own camunda properties as (name, value)."""
    return [
        (prop.get("name") or "", prop.get("value") or "")
        for prop in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NS)
    ]


def _user_tasks(process: Any, spec: Any) -> tuple[dict[str, UserTaskInfo], list[Problem]]:
    tasks: dict[str, UserTaskInfo] = {}
    problems: list[Problem] = []
    for node in process.iter(f"{{{BPMN_NS}}}userTask"):
        element_id = node.get("id")
        groups = (node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").strip()
        assignee = (node.get(f"{{{CAMUNDA_NS}}}assignee") or "").strip()
        users = (node.get(f"{{{CAMUNDA_NS}}}candidateUsers") or "").strip()
        if not (groups or assignee or users):
            problems.append(
                Problem(
                    element_id,
                    "a user task needs camunda:candidateGroups, candidateUsers or an assignee (who may do it)",
                    node.sourceline,
                )
            )
        info = _form_info(node, form_spec(spec.task_specs.get(element_id)), groups, problems)
        tasks[element_id] = replace(
            info,
            assignee=assignee,
            candidate_users=users,
            due_date=(node.get(f"{{{CAMUNDA_NS}}}dueDate") or "").strip(),
            follow_up_date=(node.get(f"{{{CAMUNDA_NS}}}followUpDate") or "").strip(),
            priority=(node.get(f"{{{CAMUNDA_NS}}}priority") or "").strip(),
        )
    problems.extend(_unknown_order_fields(tasks))
    return tasks, problems


def _form_info(node: Any, task_spec: Any, groups: str, problems: list[Problem]) -> UserTaskInfo:
    """A user task's (or the start event's) form and what the diagram says of the step."""
    element_id = node.get("id")
    fields: list[FieldDef] = []
    for spiff_field in getattr(getattr(task_spec, "form", None), "fields", []):
        try:
            fields.append(field_from_spiff(spiff_field))
        except FormDefinitionError as err:
            problems.append(Problem(element_id, str(err), node.sourceline))
    for f in fields:
        if f.id in RESERVED_NAMES:
            problems.append(
                Problem(
                    element_id,
                    f"form field '{f.id}' has the name of a script function; rename it",
                    node.sourceline,
                )
            )
        if f.onsite_limit_reason and f.onsite_limit_reason not in {g.id for g in fields}:
            problems.append(
                Problem(
                    element_id,
                    f"field '{f.id}': onsiteLimitReason names '{f.onsite_limit_reason}', which is not a field of this form",
                    node.sourceline,
                )
            )
        for name, condition in (
            ("requiredWhen", f.required_when),
            ("optionalWhen", f.optional_when),
            ("attachmentRequiredWhen", f.attachment_required_when),
        ):
            if condition and condition[0] not in {g.id for g in fields}:
                problems.append(
                    Problem(
                        element_id,
                        f"field '{f.id}': {name} names '{condition[0]}', which is not a field of this form",
                        node.sourceline,
                    )
                )
    if len({f.id for f in fields}) != len(fields):
        problems.append(Problem(element_id, "two form fields share an id", node.sourceline))
    doc = node.find("bpmn:documentation", NS)
    props = dict(element_properties(node))
    return UserTaskInfo(
        element_id=element_id,
        name=node.get("name") or element_id,
        name_en=props.get("name_en", ""),
        candidate_groups=groups,
        documentation=(doc.text or "").strip() if doc is not None else "",
        fields=tuple(fields),
        help=props.get("help", "").strip(),
        help_en=props.get("help_en", "").strip(),
        customer_contact=contact_kinds(props.get(CUSTOMER_CONTACT, "")),
        deadline_levels=_levels_or_none(props),
        awaits_parts=props.get(AWAITS_PARTS, "").strip(),
        awaits_parts_when=_when_or_none(props.get(AWAITS_PARTS_WHEN, "")),
    )


AWAITS_PARTS, AWAITS_PARTS_WHEN = "awaitsParts", "awaitsPartsWhen"


def _when_or_none(text: str) -> tuple[str, str] | None:
    """An awaitsPartsWhen property 'field=value' as (field, value); malformed ones are refused by
    validation (engine.processes)."""
    name, sep, value = text.partition("=")
    return (name.strip(), value.strip()) if sep and name.strip() else None


def _levels_or_none(props: dict[str, str]) -> tuple[DeadlineLevel, ...]:
    """The task's graded deadline; a malformed one is refused by validation (engine.processes)."""
    try:
        return parse_levels(props.get(WARN_AT, ""), props.get(ESCALATE, ""))
    except LevelError:
        return ()


def _initiator(process: Any) -> str:
    """camunda:initiator of the process's own start event ('' without one)."""
    for start in process.iterfind("bpmn:startEvent", NS):
        name = (start.get(f"{{{CAMUNDA_NS}}}initiator") or "").strip()
        if name:
            return name
    return ""


def _starters(process: Any) -> tuple[str, ...]:
    """The process's candidate starter groups, then its candidate starter users as user_candidate."""
    groups = (process.get(f"{{{CAMUNDA_NS}}}candidateStarterGroups") or "").split(",")
    users = (process.get(f"{{{CAMUNDA_NS}}}candidateStarterUsers") or "").split(",")
    return (
        *(g.strip() for g in groups if g.strip()),
        *(user_candidate(u.strip()) for u in users if u.strip()),
    )


def _start_form(process: Any, spec: Any) -> tuple[UserTaskInfo | None, list[Problem]]:
    """The process's start event form (the intake form), if it has one, and what is wrong with it."""
    problems: list[Problem] = []
    start = None
    for node in process.iter(f"{{{BPMN_NS}}}startEvent"):
        if node.find("bpmn:extensionElements/camunda:formData", NS) is None:
            continue
        if node.getparent() is not process:
            problems.append(
                Problem(
                    node.get("id", ""),
                    "only the process's own start event may have a form (the intake form); move the "
                    "fields to a user task of the sub-process",
                    node.sourceline,
                )
            )
            continue
        start = node
    if start is None:
        return None, problems
    element_id = start.get("id", "")
    groups = ",".join(_starters(process)) or first_task_groups(process, element_id)
    if not groups:
        problems.append(
            Problem(
                element_id,
                "the start event's form says nobody who may fill it in: put a user task with fixed "
                "candidate groups after it",
                start.sourceline,
            )
        )
    info = _form_info(start, spec.task_specs.get(element_id), groups, problems)
    if any(f.type == "signature" for f in info.fields):
        problems.append(
            Problem(
                element_id,
                "a start event's form cannot take a signature; ask for it in a user task",
                start.sourceline,
            )
        )
    return info, problems


def first_task_groups(process: Any, start_id: str) -> str:
    """The candidate groups of the first user task a case reaches from the start event, following the
    flows; '' when there is none, or its groups come from the case data (which the intake has not yet)."""
    targets: dict[str, list[str]] = {}
    for flow in process.iterfind("bpmn:sequenceFlow", NS):
        targets.setdefault(flow.get("sourceRef") or "", []).append(flow.get("targetRef") or "")
    nodes = {el.get("id"): el for el in process if isinstance(el.tag, str) and el.get("id")}
    queue, seen = [start_id], {start_id}
    while queue:
        node = nodes.get(queue.pop(0))
        if node is None:
            continue
        if node.tag == f"{{{BPMN_NS}}}userTask":
            groups = (node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or "").strip()
            return "" if "${" in groups else groups
        for target in targets.get(node.get("id"), []):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return ""


def _user_task_mappings(process: Any) -> tuple[dict[str, IoMapping], list[Problem]]:
    mappings: dict[str, IoMapping] = {}
    problems: list[Problem] = []
    for node in process.iter(f"{{{BPMN_NS}}}userTask"):
        try:
            mapping = io_mapping(node)
        except MappingUnreadable as err:
            problems.append(Problem(node.get("id", ""), str(err), node.sourceline))
            continue
        if mapping is not None:
            mappings[node.get("id")] = mapping
    return mappings, problems


def _unknown_order_fields(tasks: dict[str, UserTaskInfo]) -> list[Problem]:
    """notBefore may name a field of another step's form (the case keeps it), but it must be some form's."""
    known = {f.id for info in tasks.values() for f in info.fields}
    return [
        Problem(
            info.element_id,
            f"field '{f.id}': notBefore names '{f.not_before}', which is no form field of this process",
        )
        for info in tasks.values()
        for f in info.fields
        if f.not_before and f.not_before not in known
    ]


def _english_names(process: Any) -> dict[str, str]:
    """Every element's English name (its name_en property), by element id."""
    names = {}
    for el in process.iter():
        if isinstance(el.tag, str) and el.get("id") and el is not process:
            english = dict(element_properties(el)).get("name_en", "").strip()
            if english:
                names[el.get("id")] = english
    return names


def parse_definition(xml: bytes, file_name: str) -> ParsedDefinition:
    """Parse and check one BPMN file. Raises DefinitionError naming the element and the problem."""
    try:
        root = parse_xml(xml)
    except UnsafeXml as err:
        raise DefinitionError(file_name, [Problem("", str(err), err.params.get("line"))]) from err
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise DefinitionError(file_name, [Problem("", "the root element is not bpmn:definitions")])
    process = _executable_process(root, file_name)
    # Only the process that runs: a pool that never runs is drawing, whatever it holds.
    problems = _check_references(root, process) + _check_expressions(process)
    if problems:
        raise DefinitionError(file_name, problems)

    parser = HotlineParser(validator=_schema_validator())
    try:
        parser.add_bpmn_xml(root, file_name)
        key = process.get("id")
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except SchemaInvalid as err:
        raise DefinitionError(
            file_name,
            [
                Problem(_element_at_line(root, line) if line else "", plain_names(message), line)
                for message, line in err.errors
            ],
        ) from err
    except ValidationException as err:
        line = getattr(err, "line_number", None) or None
        element = err.id or (_element_at_line(root, line) if line else "")
        raise DefinitionError(
            file_name,
            [Problem(element or "", plain_names(err.message if hasattr(err, "message") else str(err)), line)],
            notes=getattr(err, "notes", ()),
        ) from err
    except Exception as err:  # noqa: BLE001 - SpiffWorkflow's parser raises KeyError and others on odd input
        raise DefinitionError(
            file_name, [Problem("", f"the engine cannot read this diagram ({type(err).__name__}: {err})")]
        ) from err

    user_tasks, task_problems = _user_tasks(process, spec)
    start_form, start_problems = _start_form(process, spec)
    task_problems += start_problems
    io_mappings, io_problems = _user_task_mappings(process)
    task_problems += io_problems
    effects, effect_problems = read_effects(process)
    task_problems += [Problem(element, reason, line) for element, reason, line in effect_problems]
    roles, role_problems = read_roles(process)
    task_problems += [
        Problem(p.element.get("id", ""), p.message, p.element.sourceline) for p in role_problems
    ]
    if task_problems:
        raise DefinitionError(file_name, task_problems)
    names = {
        el.get("id"): el.get("name") or el.get("id")
        for el in process.iter()
        if isinstance(el.tag, str) and el.get("id")
    }
    return ParsedDefinition(
        key=key,
        name=process.get("name") or key,
        content_hash=content_hash(xml),
        case_prefix=(_process_property(process, "casePrefix") or key[:2]).upper(),
        spec=spec,
        subprocess_specs=subprocess_specs,
        user_tasks=user_tasks,
        element_names=names,
        element_names_en=_english_names(process),
        effects=effects,
        name_en=_process_property(process, "name_en") or "",
        documentation=(process.findtext("bpmn:documentation", "", NS) or "").strip(),
        description=(_process_property(process, "description") or "").strip(),
        description_en=(_process_property(process, "description_en") or "").strip(),
        variable_labels=read_variable_labels(element_properties(process))[0],
        roles=roles,
        start_form=start_form,
        starters=_starters(process),
        initiator=_initiator(process),
        io_mappings=io_mappings,
        startable=(process.get(f"{{{CAMUNDA_NS}}}isStartableInTasklist") or "true").strip().lower()
        != "false",
    )


# A person named as a candidate of a task (camunda:candidateUsers) is kept with its groups under this
# prefix: the tasklist, claims and completion then treat each person as a group of one.
CANDIDATE_USER = "user:"


def user_candidate(username: str) -> str:
    """The candidate-group entry of one person."""
    return CANDIDATE_USER + username


def _names(text: str, data: dict[str, Any]) -> list[str]:
    """A comma-separated list with each ${var} replaced by that value of the case data."""

    def substitute(match: re.Match[str]) -> str:
        value = data.get(match.group(1))
        return "" if value is None else str(value)

    return [name.strip() for name in _GROUP_EXPRESSION.sub(substitute, text).split(",") if name.strip()]


def candidate_groups_for(info: UserTaskInfo, data: dict[str, Any]) -> list[str]:
    """Evaluate ${var} in candidateGroups against the case data: 'department' → the case's department;
    the candidate users follow, each as user_candidate(name)."""
    return _names(info.candidate_groups, data) + [
        user_candidate(name) for name in _names(info.candidate_users, data)
    ]


def assignee_for(info: UserTaskInfo, data: dict[str, Any]) -> str | None:
    """The person camunda:assignee gives the task to (a name, or ${var} of the case data), if any."""
    names = _names(info.assignee, data)
    return names[0] if names else None


class SpecCache:
    """Parsed definitions by content hash: a diagram is parsed once per process, whatever its version."""

    def __init__(self) -> None:
        self._by_hash: dict[str, ParsedDefinition] = {}
        self._lock = threading.Lock()

    def cached(self, digest: str) -> ParsedDefinition | None:
        with self._lock:
            return self._by_hash.get(digest)

    def get(self, xml: bytes, file_name: str, digest: str | None = None) -> ParsedDefinition:
        digest = digest or content_hash(xml)
        with self._lock:
            cached = self._by_hash.get(digest)
        if cached is not None:
            return cached
        parsed = parse_definition(xml, file_name)
        with self._lock:
            self._by_hash.setdefault(digest, parsed)
            return self._by_hash[digest]


def fields_by_id(parsed: ParsedDefinition) -> dict[str, FieldDef]:
    """Every form field of the diagram by id (the first task that declares it wins), for labelling data."""
    return parsed.fields
