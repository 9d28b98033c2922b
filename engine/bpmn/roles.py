"""Diagram roles: what the figures, the weekly sample, the handover and the intake page need to know about
a procedure, declared in its diagram with camunda properties instead of element ids written into Python.

A process owner may rename any element in the modeler; the property moves with the element, so the
figures keep finding it. docs/modelling.md (*Roles*) explains each role to process owners.

On a user task, property `role` (comma-separated when a task has several):

- `callback` — the procedure's own callback to the customer; its form field `satisfied` (`yes` / `no`)
  is the answer the satisfaction rate counts (M4). At most one per process.
- `replied` — reaching this task means the department has replied: a case counts as replied from the
  first time the task is created (M2, M3, M4). At most one per process; without one a case is
  replied when it is closed.
- `site_visit` — completing this task means someone went on site (the M1 sample's population).
- `sendback_review` — the dispatcher's review of a department's send-back (退单, C4); its form field
  `sendback_decision` (`approve` / `reject`) is the decision the departments' send-back figures count.
- `department_task` — a step the responsible department does: its claim is the department's
  acknowledgement (签收), its deadline counts in on-time closing and a chase on that deadline is a chase
  the department received (the monthly department assessment, 红黑榜).
- `liaison_feedback` — a step in which the liaison who opened the case reports back (L2, L3): its
  deadline counts in the liaison's on-time feedback rate (000 §6, M9).

On the process:

- `role` = `complaint` (the complaint handling rate, M4; open complaints at the handover, M7),
  `outage` (open outages at the handover, M7), `sampled_callback` (the callback procedure the weekly
  draw opens, M1: follow-up work on another case, not a hotline case of its own), `liaison_report`
  (its cases are the information forms a liaison submits, the person who opened it being the liaison:
  the monthly liaison assessment, M9) or `consultation` (its cases make the on-the-spot rate, Q1).
- `answeredField` = a form field (yes/no): on a `consultation`, the case was answered on the spot when
  it is true; `entryField` = a form field: the knowledge base entry the answer came from, when set.
- `intake` = `true`: the procedure is a kind of call the operator switches between on the intake page;
  `intakeOrder` = a whole number: its place there (lowest first; without one, after the numbered ones).
- `defaultDepartment` = a department code: whose its cases are in the figures when neither the case
  nor its category names a department.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.bpmn.safe_xml import parse_xml
from engine.messages import N_

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
_PROPERTIES = "bpmn:extensionElements/camunda:properties/camunda:property"

ROLE_PROPERTY = "role"
CALLBACK = "callback"
REPLIED = "replied"
SITE_VISIT = "site_visit"
SENDBACK_REVIEW = "sendback_review"
COMPLAINT = "complaint"
OUTAGE = "outage"
SAMPLED_CALLBACK = "sampled_callback"
DEPARTMENT_TASK = "department_task"
LIAISON_FEEDBACK = "liaison_feedback"
LIAISON_REPORT = "liaison_report"
CONSULTATION = "consultation"

ELEMENT_ROLES = (CALLBACK, REPLIED, SITE_VISIT, SENDBACK_REVIEW, DEPARTMENT_TASK, LIAISON_FEEDBACK)
UNIQUE_ELEMENT_ROLES = frozenset({CALLBACK, REPLIED})
PROCESS_ROLES = (COMPLAINT, OUTAGE, SAMPLED_CALLBACK, LIAISON_REPORT, CONSULTATION)
# What a procedure of a role cannot do without: a complaint's handling rate counts its reply (M4), the
# sampled callback's answers are those of its callback task (M1).
REQUIRED_ELEMENT_ROLES = {COMPLAINT: (REPLIED,), SAMPLED_CALLBACK: (CALLBACK,)}
# The form field holding the customer's answer at a callback, and the answer that counts as satisfied.
ANSWER_FIELD = "satisfied"
SATISFIED = "yes"
# The form field holding the dispatcher's decision on a send-back, and the decision that re-dispatches.
SENDBACK_DECISION_FIELD = "sendback_decision"
SENDBACK_APPROVED = "approve"

# English templates of the problems below; the pages show them in the user's language.
ROLE_MESSAGES: dict[str, str] = {
    "role-unknown": N_(
        "Step '%(name)s' declares the role '%(role)s', which is no role of a step. Choose one of: "
        "%(known)s (see Roles in docs/modelling.md)."
    ),
    "process-role-unknown": N_(
        "The process declares the role '%(role)s', which is no role of a procedure. Choose "
        "one of: %(known)s (see Roles in docs/modelling.md)."
    ),
    "role-not-on-user-task": N_(
        "'%(name)s' declares the role '%(role)s', but only a user task can have it. Move "
        "the role property to the user task it is about."
    ),
    "role-not-unique": N_(
        "'%(name)s' and '%(other)s' both declare the role '%(role)s', which a process has at "
        "most once. Remove it from the one that is not the %(role)s step."
    ),
    "role-missing": N_(
        "A process with the role '%(process_role)s' needs a user task with the role '%(role)s'. "
        "Set role = %(role)s on that task (see Roles in docs/modelling.md)."
    ),
    "callback-without-answer": N_(
        "Callback '%(name)s' has no form field '%(field)s' (values yes / no) for the "
        "customer's answer, so the satisfaction rate cannot count it. Add the field or remove the role."
    ),
    "review-without-decision": N_(
        "Send-back review '%(name)s' has no form field '%(field)s' (values approve / reject) for the "
        "decision, so the send-back figures cannot count it. Add the field or remove the role."
    ),
    "consultation-without-answer-field": N_(
        "A process with the role 'consultation' needs the process property answeredField naming its yes/no "
        "field that says the question was answered on the spot (see Roles in docs/modelling.md)."
    ),
    "intake-flag": N_("Process property intake is '%(value)s'; write true or false."),
    "intake-order": N_("Process property intakeOrder is '%(value)s'; write a whole number (1 comes first)."),
}


@dataclass(frozen=True)
class DiagramRoles:
    """The roles one diagram declares (see the module's docstring)."""

    process_roles: frozenset[str] = frozenset()
    elements: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> user task ids
    intake: bool = False
    intake_order: int | None = None
    default_department: str | None = None
    # Every timer on the boundary of a user task is that task's deadline: timer id -> task id.
    deadline_timers: dict[str, str] = field(default_factory=dict)
    answered_field: str | None = None
    entry_field: str | None = None

    def element_ids(self, role: str) -> tuple[str, ...]:
        return self.elements.get(role, ())

    def element_id(self, role: str) -> str | None:
        """The one task of a role that a process has at most once, or None."""
        found = self.elements.get(role, ())
        return found[0] if found else None


@dataclass(frozen=True)
class RoleProblem:
    """A declared role that is malformed or points nowhere; `element` is the lxml node to name."""

    code: str
    element: Any
    params: dict[str, Any]

    @property
    def message(self) -> str:
        name = self.element.get("name") or self.element.get("id") or ""
        return ROLE_MESSAGES[self.code] % {"name": name, **self.params}


def _properties(node: Any, name: str) -> list[str]:
    return [prop.get("value") or "" for prop in node.iterfind(_PROPERTIES, _NS) if prop.get("name") == name]


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def read_roles(process: Any) -> tuple[DiagramRoles, list[RoleProblem]]:
    """The roles declared on a parsed `bpmn:process` element, and what is wrong with them."""
    problems: list[RoleProblem] = []
    process_roles = _process_roles(process, problems)
    elements = _element_roles(process, problems)
    for process_role in sorted(process_roles):
        for role in REQUIRED_ELEMENT_ROLES.get(process_role, ()):
            if role not in elements:
                problems.append(
                    RoleProblem("role-missing", process, {"process_role": process_role, "role": role})
                )
    if CONSULTATION in process_roles and not _property(process, "answeredField"):
        problems.append(RoleProblem("consultation-without-answer-field", process, {}))
    intake, order = _intake(process, problems)
    department = _property(process, "defaultDepartment")
    roles = DiagramRoles(
        frozenset(process_roles),
        elements,
        intake,
        order,
        department,
        _deadline_timers(process),
        _property(process, "answeredField"),
        _property(process, "entryField"),
    )
    return roles, problems


def _property(node: Any, name: str) -> str | None:
    return next((v.strip() for v in _properties(node, name) if v.strip()), None)


def _deadline_timers(process: Any) -> dict[str, str]:
    user_tasks = {node.get("id") for node in process.iter(f"{{{BPMN_NS}}}userTask")}
    return {
        node.get("id"): node.get("attachedToRef")
        for node in process.iter(f"{{{BPMN_NS}}}boundaryEvent")
        if node.get("attachedToRef") in user_tasks and node.find("bpmn:timerEventDefinition", _NS) is not None
    }


def _process_roles(process: Any, problems: list[RoleProblem]) -> set[str]:
    found = set()
    for role in _split(_properties(process, ROLE_PROPERTY)):
        if role in PROCESS_ROLES:
            found.add(role)
        else:
            known = ", ".join(PROCESS_ROLES)
            problems.append(RoleProblem("process-role-unknown", process, {"role": role, "known": known}))
    return found


def _element_roles(process: Any, problems: list[RoleProblem]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[Any]] = {}
    for node in process.iter(f"{{{BPMN_NS}}}*"):
        if node is process or not node.get("id"):
            continue
        for role in _split(_properties(node, ROLE_PROPERTY)):
            if role not in ELEMENT_ROLES:
                known = ", ".join(ELEMENT_ROLES)
                problems.append(RoleProblem("role-unknown", node, {"role": role, "known": known}))
            elif node.tag != f"{{{BPMN_NS}}}userTask":
                problems.append(RoleProblem("role-not-on-user-task", node, {"role": role}))
            elif role in UNIQUE_ELEMENT_ROLES and found.get(role):
                first = found[role][0]
                other = first.get("name") or first.get("id")
                problems.append(RoleProblem("role-not-unique", node, {"role": role, "other": other}))
            else:
                found.setdefault(role, []).append(node)
    for task in found.get(CALLBACK, []):
        if not _asks_for(task, ANSWER_FIELD, SATISFIED):
            problems.append(RoleProblem("callback-without-answer", task, {"field": ANSWER_FIELD}))
    for task in found.get(SENDBACK_REVIEW, []):
        if not _asks_for(task, SENDBACK_DECISION_FIELD, SENDBACK_APPROVED):
            problems.append(RoleProblem("review-without-decision", task, {"field": SENDBACK_DECISION_FIELD}))
    return {role: tuple(node.get("id") for node in nodes) for role, nodes in found.items()}


def _asks_for(task: Any, field_id: str, value_id: str) -> bool:
    """Has the task's form the field, with the value that counts (satisfied, approved)?"""
    for form_field in task.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", _NS):
        if form_field.get("id") == field_id:
            return any(value.get("id") == value_id for value in form_field.iterfind("camunda:value", _NS))
    return False


def _intake(process: Any, problems: list[RoleProblem]) -> tuple[bool, int | None]:
    intake = False
    for value in _properties(process, "intake"):
        if value.strip().lower() not in ("true", "false"):
            problems.append(RoleProblem("intake-flag", process, {"value": value}))
        intake = intake or value.strip().lower() == "true"
    order = None
    for value in _properties(process, "intakeOrder"):
        if not value.strip().isdigit():
            problems.append(RoleProblem("intake-order", process, {"value": value}))
        else:
            order = int(value.strip())
    return intake, order


def roles_of_xml(xml: bytes) -> DiagramRoles:
    """The roles of a deployed diagram's executable process (it was checked when it was deployed)."""
    root = parse_xml(xml)
    for process in root.iterfind("bpmn:process", _NS):
        if process.get("isExecutable", "true").lower() == "true":
            return read_roles(process)[0]
    return DiagramRoles()
