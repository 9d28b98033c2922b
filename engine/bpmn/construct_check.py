"""Walking the process that will run and classifying every element and attribute it holds with the
table of engine/bpmn/constructs.py: what is refused or ignored, or runs only as translated, becomes a
finding naming the element.

Only the executable process is walked (a pool that never runs is drawing only), plus the message flows
of the collaboration. A refused element's content is not walked again: one line per problem, the
element named once with the way forward.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.constructs import (
    ATTRIBUTE_FAMILIES,
    BY_KEY,
    DRAWING_NAMESPACES,
    ZEEBE_NS,
    Construct,
    Support,
)
from engine.bpmn.external_tasks import RetryCycleInvalid, parse_retry_cycle
from engine.bpmn.juel import is_juel, python_of
from engine.bpmn.parser import BPMN_NS, CAMUNDA_NS
from engine.messages import N_

# What a JUEL condition's message offers when it has no Python of its own (said in the user's language).
NO_TRANSLATION = N_("a Python expression such as approved == True")
_GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
# BPMN elements inside another that are not steps of their own: a problem with one names the step.
_INNER = {
    "conditionExpression",
    "condition",
    "extensionElements",
    "documentation",
    "script",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "multiInstanceLoopCharacteristics",
    "standardLoopCharacteristics",
    "ioSpecification",
    "property",
    "dataInputAssociation",
    "dataOutputAssociation",
    "incoming",
    "outgoing",
}


def _is_inner(local: str) -> bool:
    return local in _INNER or local.endswith("EventDefinition")


@dataclass(frozen=True)
class Finding:
    """A construct met in the diagram that is refused, ignored, or runs with a notice (JUEL said as
    Python), at the step it belongs to."""

    construct: Construct
    element: Any
    params: tuple[tuple[str, str], ...] = ()

    @property
    def refused(self) -> bool:
        return self.construct.support is Support.REFUSED


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def named_element(node: Any) -> Any:
    """The step (or flow, or process) a node belongs to: itself, or the nearest BPMN ancestor with an
    id that is not part of another element (a condition belongs to its flow, an event definition to
    its event)."""
    while node is not None:
        if isinstance(node.tag, str):
            namespace, local = _split(node.tag)
            if namespace == BPMN_NS and node.get("id") and not _is_inner(local):
                return node
        node = node.getparent()
    return None


@dataclass
class _Walk:
    findings: list[Finding] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)

    def add(self, key: str, node: Any, value: str = "", attribute: str = "", **extra: str) -> None:
        construct = BY_KEY[key]
        if construct.checked_elsewhere:
            return
        element = named_element(node)
        mark = ((element.get("id") if element is not None else "") or "", construct.code)
        if mark in self.seen:
            return  # the same thing said once per element (a JUEL condition, a family of attributes)
        self.seen.add(mark)
        params = tuple(sorted({"value": value, "attribute": attribute, **extra}.items()))
        self.findings.append(Finding(construct, element, params))


# Said in the user's language (validation.py translates this parameter of the message).
NO_IMPLEMENTATION = N_("no implementation")


def _lookup(*keys: str) -> Construct | None:
    for key in keys:
        if key in BY_KEY:
            return BY_KEY[key]
    return None


def _service_kind(node: Any) -> str:
    """How a service (or send) task says what it calls, as written in the file."""
    kind = node.get(f"{{{CAMUNDA_NS}}}type")
    if kind:
        topic = node.get(f"{{{CAMUNDA_NS}}}topic") or ""
        return f'camunda:type="{kind}" camunda:topic="{topic}"'
    for attribute in ("class", "expression", "delegateExpression"):
        value = node.get(f"{{{CAMUNDA_NS}}}{attribute}")
        if value:
            return f'camunda:{attribute}="{value}"'
    if node.find(f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}connector") is not None:
        return "camunda:connector"
    job = node.find(f"{{{BPMN_NS}}}extensionElements/{{{ZEEBE_NS}}}taskDefinition")
    if job is not None:  # a Camunda 8 job worker's task
        return f'zeebe:taskDefinition type="{job.get("type") or ""}"'

    return NO_IMPLEMENTATION


def _element_construct(node: Any, local: str, parent_local: str) -> tuple[Construct, str]:
    """The construct of a BPMN element, and what the message says it holds."""
    if local == "subProcess" and (node.get("triggeredByEvent") or "").lower() == "true":
        return BY_KEY["subProcess:event"], ""
    construct = _lookup(f"bpmn:{parent_local}/bpmn:{local}", f"bpmn:{local}") or BY_KEY["bpmn:other"]
    if local == "serviceTask":
        external = (node.get(f"{{{CAMUNDA_NS}}}type") or "") == "external"
        if external and (node.get(f"{{{CAMUNDA_NS}}}topic") or "").strip():
            return construct, ""
        return BY_KEY["serviceTask:java"], _service_kind(node)
    if local == "sendTask":
        return construct, _service_kind(node)
    if local == "businessRuleTask":
        return construct, f'camunda:decisionRef="{node.get(f"{{{CAMUNDA_NS}}}decisionRef") or ""}"'
    if local == "callActivity":
        called = (node.get("calledElement") or "").strip()
        if not called or "{" in called:
            return BY_KEY["callActivity:unknown"], f'calledElement="{called}"'
        return construct, ""
    if local in ("messageEventDefinition", "signalEventDefinition"):
        kind = local[: -len("EventDefinition")]
        if construct.support is Support.RUNS and not _reference_name(node, kind):
            return BY_KEY["event:unnamed"], f"bpmn:{kind}"
        return construct, _named_reference(node, kind)
    if local == "receiveTask" and not _reference_name(node, "message"):
        return BY_KEY["event:unnamed"], "bpmn:message"
    if local.endswith("EventDefinition"):
        return construct, f"{parent_local} {local}"
    if construct.key == "bpmn:other":
        return construct, local
    return construct, ""


def _reference_name(node: Any, kind: str) -> str:
    """The name of the global message or signal the node refers to; '' when it names none."""
    reference = node.get(f"{kind}Ref") or ""
    root = node.getroottree().getroot()
    declared = next((d for d in root.iterfind(f"{{{BPMN_NS}}}{kind}") if d.get("id") == reference), None)
    return ((declared.get("name") if declared is not None else None) or "").strip()


def _named_reference(node: Any, kind: str) -> str:
    """The message or signal an event waits for or sends, by its name where the file gives one."""
    reference = node.get(f"{kind}Ref") or ""
    root = node.getroottree().getroot()
    declared = next((d for d in root.iterfind(f"{{{BPMN_NS}}}{kind}") if d.get("id") == reference), None)
    name = (declared.get("name") if declared is not None else None) or reference
    return f'bpmn:{kind} "{name}"' if name else f"bpmn:{kind}"


def _attribute_construct(owner_local: str, name: str, value: str) -> Construct:
    if owner_local == "callActivity" and name == "calledElementBinding":
        if value.strip() not in ("latest", "version"):
            return BY_KEY["@camunda:calledElementBinding"]
    elif owner_local == "callActivity" and name == "calledElementVersion":
        return BY_KEY["bpmn:callActivity@camunda:calledElementVersion"]
    elif ATTRIBUTE_FAMILIES.get(name) == "calledElementBinding":
        return BY_KEY["@camunda:calledElementBinding"]
    if name == "isStartableInTasklist" and value.strip().lower() == "false":
        return BY_KEY["isStartableInTasklist:false"]
    family = ATTRIBUTE_FAMILIES.get(name, name)
    return _lookup(f"bpmn:{owner_local}@camunda:{family}", f"@camunda:{family}") or BY_KEY["camunda:other"]


def _check_attributes(walk: _Walk, node: Any, local: str) -> None:
    for name, value in node.attrib.items():
        namespace, attribute = _split(name)
        if not namespace or namespace in DRAWING_NAMESPACES:
            continue
        if namespace == CAMUNDA_NS:
            construct = _attribute_construct(local, attribute, value)
            if construct.support is not Support.RUNS:
                walk.add(construct.key, node, value, attribute=f"camunda:{attribute}")
        elif namespace == ZEEBE_NS:
            walk.add("zeebe", node, value, attribute=f"zeebe:{attribute}")
        else:
            walk.add("extension:other", node, value, attribute=_prefixed(node, namespace, attribute))


def _python_of_feel(expression: str) -> str:
    """The FEEL expression itself where Python reads it the same way (x > 1, a and b), else an example."""
    try:
        ast.parse(expression, mode="eval")
    except SyntaxError:
        return NO_TRANSLATION
    return (
        expression
        if "=" not in expression.replace("==", "").replace(">=", "").replace("<=", "")
        else NO_TRANSLATION
    )


def _check_bpmn_values(walk: _Walk, node: Any, local: str) -> None:
    """What a BPMN element's own attributes and text decide: the script language, JUEL conditions."""
    if local == "scriptTask":
        language = (node.get("scriptFormat") or "python").strip()
        if language.lower() != "python":
            walk.add("scriptFormat:other", node, language)
    if local == "conditionExpression":
        language = (node.get("language") or "").strip()
        text = (node.text or "").strip()
        if language and language.lower() != "python":
            walk.add("condition:language", node, language)
        elif text.startswith("="):  # Camunda 8 writes FEEL so; a comparison often reads as Python too
            walk.add("condition:feel", node, text, python=_python_of_feel(text[1:].strip()))
        elif is_juel(text):
            python = python_of(text)
            if python:
                walk.add("condition:juel-common", node, text, python=python)
            else:
                walk.add("condition:juel", node, text, python=NO_TRANSLATION)
    if local == "timerEventDefinition" and not any(
        node.find(f"{{{BPMN_NS}}}{kind}") is not None for kind in ("timeDate", "timeDuration", "timeCycle")
    ):
        walk.add("timer:empty", node)


def _walk(walk: _Walk, node: Any, owner_local: str) -> None:
    """Classify `node` (its tag and attributes) and, unless it is refused or ignored, its children."""
    if not isinstance(node.tag, str):
        return  # a comment or processing instruction
    namespace, local = _split(node.tag)
    if namespace in DRAWING_NAMESPACES:
        return
    parent = node.getparent()
    parent_local = _split(parent.tag)[1] if parent is not None and isinstance(parent.tag, str) else ""
    if namespace == BPMN_NS:
        construct, value = _element_construct(node, local, parent_local)
        if construct.support is not Support.RUNS:
            walk.add(construct.key, node, value)
            return
        _check_attributes(walk, node, local)
        _check_bpmn_values(walk, node, local)
        owner = owner_local if _is_inner(local) else local
    elif namespace == CAMUNDA_NS:
        construct = (
            _lookup(f"bpmn:{owner_local}/camunda:{local}", f"camunda:{local}") or BY_KEY["camunda:other"]
        )
        if construct.support is not Support.RUNS:
            walk.add(construct.key, node, _extension_value(node, local), attribute=f"camunda:{local}")
            return
        if local == "failedJobRetryTimeCycle":
            _check_retry_cycle(walk, node)
        if local in ("in", "out"):
            _check_mapping(walk, node)
        owner = owner_local
    elif namespace == ZEEBE_NS:
        walk.add("zeebe", node, "", attribute=f"zeebe:{local}")
        return
    else:
        walk.add("extension:other", node, "", attribute=_prefixed(node, namespace, local))
        return
    for child in node:
        _walk(walk, child, owner)


def _check_mapping(walk: _Walk, node: Any) -> None:
    """camunda:in/out as source/target or variables="all"; other forms are named."""
    for attribute in ("sourceExpression", "businessKey", "local"):
        if node.get(attribute) is not None:
            walk.add("mapping:other", node, f"camunda:{_split(node.tag)[1]} {attribute}")
            return
    if not node.get("source") and (node.get("variables") or "").strip() != "all":
        walk.add("mapping:other", node, f"camunda:{_split(node.tag)[1]} without source")


def _check_retry_cycle(walk: _Walk, node: Any) -> None:
    try:
        parse_retry_cycle(node.text or "")
    except RetryCycleInvalid:
        walk.add("retryCycle:invalid", node, (node.text or "").strip())


def _prefixed(node: Any, namespace: str, local: str) -> str:
    """A name of another tool's namespace as the file writes it (prefix:name)."""
    prefix = next((p for p, uri in node.nsmap.items() if uri == namespace and p), None)
    return f"{prefix}:{local}" if prefix else f"{{{namespace}}}{local}"


def _extension_value(node: Any, local: str) -> str:
    """What the message quotes of a Camunda extension element: its class, event or text."""
    for attribute in ("class", "expression", "delegateExpression", "event"):
        if node.get(attribute):
            return f'{attribute}="{node.get(attribute)}"'
    text = (node.text or "").strip()
    return text if text else f"camunda:{local}"


def _flows_out_of_steps(walk: _Walk, process: Any) -> None:
    """A step that is not a gateway with several outgoing flows, or a conditional one: only gateways
    choose or split here."""
    flows = list(process.iter(f"{{{BPMN_NS}}}sequenceFlow"))
    by_id = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    outgoing: dict[str, list[Any]] = {}
    for flow in flows:
        outgoing.setdefault(flow.get("sourceRef") or "", []).append(flow)
    for source_id, leaving in outgoing.items():
        source = by_id.get(source_id)
        if source is None or _split(source.tag)[1] in _GATEWAYS:
            continue
        conditional = any(f.find(f"{{{BPMN_NS}}}conditionExpression") is not None for f in leaving)
        if len(leaving) > 1 or conditional:
            walk.add("flow:from-task", source, str(len(leaving)))


def check_constructs(root: Any, process: Any) -> list[Finding]:
    """Every refused or ignored construct of the process that will run, one finding per element and
    construct, in the order of the file."""
    walk = _Walk()
    _check_attributes(walk, root, "definitions")
    _walk(walk, process, "process")
    _flows_out_of_steps(walk, process)
    for flow in root.iterfind(f"{{{BPMN_NS}}}collaboration/{{{BPMN_NS}}}messageFlow"):
        walk.add("bpmn:messageFlow", flow)
    return walk.findings
