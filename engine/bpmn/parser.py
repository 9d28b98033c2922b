"""Reading BPMN files: parse, check, and describe what the engine and the forms need.

A file is refused as a whole, with the file name, the element id and the reason, when it does not
parse, does not validate, or uses something the engine cannot run.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator, full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, IntermediateCatchEvent, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaIntermediateCatchEventParser,
    CamundaStartEventParser,
)

from engine.bpmn.business_rules import DecisionTask, DecisionTaskParser
from engine.bpmn.effects import Effect, read_effects
from engine.bpmn.form_fields import FieldDef, FormDefinitionError, field_from_spiff
from engine.bpmn.juel import python_of
from engine.bpmn.roles import DiagramRoles, read_roles
from engine.bpmn.safe_xml import UnsafeXml, parse_xml
from engine.bpmn.sandbox import RESERVED_NAMES, ScriptRejected, check_source
from engine.bpmn.schema_errors import plain_names
from engine.bpmn.timer_events import ClockDurationTimerEventDefinition, ClockTimeDateEventDefinition
from engine.bpmn.variable_labels import VariableLabel, read_variable_labels
from engine.errors import HotlineError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_ISO_LITERAL = re.compile(r"^(R\d*/.*|P(?=\d|T\d)[0-9YMWDTHS.,]+|\d{4}-\d{2}-\d{2}(T[0-9:.+\-Z]*)?)$")
_CAMUNDA_EXPRESSION = re.compile(r"^[$#]\{(.*)\}$", re.S)
_GROUP_EXPRESSION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Problem:
    element_id: str
    reason: str
    line: int | None = None

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

    def description_text(self, language: str) -> str:
        """The procedure explained to staff (property description / description_en); '' when absent."""
        return self.description_en if language == "en" and self.description_en else self.description

    @cached_property
    def fields(self) -> dict[str, FieldDef]:
        """Every form field by id: the first task that declares it wins, but a field that any task
        declares personal is personal wherever it is shown."""
        found: dict[str, FieldDef] = {}
        for info in self.user_tasks.values():
            for f in info.fields:
                first = found.setdefault(f.id, f)
                if f.personal and not first.personal:
                    found[f.id] = replace(first, personal=f.personal)
        return found

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
        return definition


class _StartEventParser(_ClockTimerMixin, CamundaStartEventParser):
    pass


class _CatchEventParser(_ClockTimerMixin, CamundaIntermediateCatchEventParser):
    pass


class _BoundaryEventParser(_ClockTimerMixin, CamundaBoundaryEventParser):
    pass


class HotlineParser(CamundaParser):
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (_StartEventParser, StartEvent),
        full_tag("intermediateCatchEvent"): (_CatchEventParser, IntermediateCatchEvent),
        full_tag("boundaryEvent"): (_BoundaryEventParser, BoundaryEvent),
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
                problems.append(Problem(flow.get("id", ""), f"sequence flow has no {end}", flow.sourceline))
            elif ref not in ids:
                problems.append(
                    Problem(
                        flow.get("id", ""), f"{end} '{ref}' names no element in this file", flow.sourceline
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
        check(script, script.text or "", "exec")
    for condition in root.iterfind(".//bpmn:conditionExpression", NS):
        condition.text = condition_source(condition.text or "")
        check(condition, condition.text, "eval")
    for timer in root.iterfind(".//bpmn:timeCycle", NS):
        problems.append(
            Problem(
                _element_id(timer),
                "repeating timers (timeCycle) are not supported; use timeDate or timeDuration",
                timer.sourceline,
            )
        )
    for tag in ("timeDate", "timeDuration"):
        for timer in root.iterfind(f".//bpmn:{tag}", NS):
            if not (timer.text or "").strip():
                problems.append(Problem(_element_id(timer), f"the timer's {tag} is empty", timer.sourceline))
                continue
            timer.text = normalise_timer_expression(timer.text)
            check(timer, timer.text, "eval")
    return problems


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
        if not groups:
            problems.append(
                Problem(
                    element_id, "a user task needs camunda:candidateGroups (who may do it)", node.sourceline
                )
            )
        task_spec = spec.task_specs.get(element_id)
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
            if f.required_when and f.required_when[0] not in {g.id for g in fields}:
                problems.append(
                    Problem(
                        element_id,
                        f"field '{f.id}': requiredWhen names '{f.required_when[0]}', which is not a field of this form",
                        node.sourceline,
                    )
                )
        if len({f.id for f in fields}) != len(fields):
            problems.append(Problem(element_id, "two form fields share an id", node.sourceline))
        doc = node.find("bpmn:documentation", NS)
        props = dict(element_properties(node))
        tasks[element_id] = UserTaskInfo(
            element_id=element_id,
            name=node.get("name") or element_id,
            name_en=props.get("name_en", ""),
            candidate_groups=groups,
            documentation=(doc.text or "").strip() if doc is not None else "",
            fields=tuple(fields),
            help=props.get("help", "").strip(),
            help_en=props.get("help_en", "").strip(),
            customer_contact=contact_kinds(props.get(CUSTOMER_CONTACT, "")),
        )
    problems.extend(_unknown_order_fields(tasks))
    return tasks, problems


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
    )


def candidate_groups_for(info: UserTaskInfo, data: dict[str, Any]) -> list[str]:
    """Evaluate ${var} in candidateGroups against the case data: 'department' → the case's department."""

    def substitute(match: re.Match[str]) -> str:
        value = data.get(match.group(1))
        return "" if value is None else str(value)

    groups = _GROUP_EXPRESSION.sub(substitute, info.candidate_groups)
    return [g.strip() for g in groups.split(",") if g.strip()]


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
