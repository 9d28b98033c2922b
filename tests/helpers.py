"""Small shared helpers for the test suites (engine, scenarios, web): actors, forms, queries.

Plain functions and constants, so any test module can import them; conftest.py wraps the most used
ones as fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db.models import Base, Event, HumanTask, ProcessInstance, Timer
from engine.runtime import Actor

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROCESSES = PROJECT_ROOT / "processes"
COMPLAINT_BPMN = PROCESSES / "complaint.bpmn"

OPERATOR = Actor("op1", frozenset({"operator"}))
SUPERVISOR = Actor("sup1", frozenset({"supervisor"}))
DEPARTMENTS = ("customer_service", "operations", "repair", "technical", "billing")


def department_handler(department: str) -> Actor:
    """A handler of one department: their only group is the department's name."""
    return Actor(f"{department}_handler", frozenset({department}))


def intake_form(**overrides: Any) -> dict[str, Any]:
    """A valid complaint intake (C1): every required field filled; override any value by keyword."""
    form: dict[str, Any] = {
        "customer_name": "张伟",
        "customer_phone": "13800001111",
        "address": "金明小区3号楼2单元501",
        "occurred_at": "2026-11-22",
        "description": "室内温度只有14度,已经持续三天。",
        "category": "temperature",
        "department": "operations",
        "needs_site_visit": False,
        "apologised": True,
        # Where the call came from (the own hotline): blank platform fields, as the page sends them.
        "case_source": "hotline",
        "upstream_reference": "",
        "upstream_deadline": "",
    }
    form.update(overrides)
    return form


def open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    """The open human_task rows of a case, oldest first."""
    query = (
        select(HumanTask)
        .where(HumanTask.instance_id == instance_id, HumanTask.status == "open")
        .order_by(HumanTask.id)
    )
    return list(session.scalars(query))


def open_task(session: Session, instance_id: int, element_id: str) -> HumanTask:
    """The one open task of a case at the given diagram element (fails if there is not exactly one)."""
    rows = [row for row in open_tasks(session, instance_id) if row.element_id == element_id]
    assert len(rows) == 1, (
        f"expected one open '{element_id}' task, found {[r.element_id for r in open_tasks(session, instance_id)]}"
    )
    return rows[0]


def events_of(session: Session, instance_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.instance_id == instance_id).order_by(Event.id)))


def timers_of(session: Session, instance_id: int) -> list[Timer]:
    return list(session.scalars(select(Timer).where(Timer.instance_id == instance_id).order_by(Timer.id)))


# Signing in writes these (a session, a refused try); they are not what a refused change may not write.
SIGN_IN_TABLES = frozenset({"sign_in_session", "sign_in_failure"})


def row_counts(session: Session, tables: Iterable[str] | None = None) -> dict[str, int]:
    """Rows per table (but the sign-in bookkeeping), to show that a failed unit of work wrote nothing."""
    wanted = set(tables) if tables is not None else None
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
        if (table.name in wanted if wanted is not None else table.name not in SIGN_IN_TABLES)
    }


def instance_snapshot(session: Session, instance_id: int) -> dict[str, Any]:
    """What a unit of work may change about a case: version, state, status and its rows."""
    instance = session.get(ProcessInstance, instance_id, populate_existing=True)
    assert instance is not None
    return {
        "version": instance.version,
        "state": instance.state,
        "status": instance.status,
        "data": instance.data,
        "tasks": [
            (t.element_id, t.status, t.completed_by)
            for t in session.scalars(
                select(HumanTask).where(HumanTask.instance_id == instance_id).order_by(HumanTask.id)
            )
        ],
        "timers": [(t.element_id, t.status, t.fired_at) for t in timers_of(session, instance_id)],
        "events": [(e.kind, e.element_id) for e in events_of(session, instance_id)],
    }


# --- small diagrams for engine tests -------------------------------------------------------------

_DEFINITIONS = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'id="Definitions_{key}" targetNamespace="http://hotline.example/test">\n'
    '<bpmn:process id="{key}" name="{name}" isExecutable="true">\n{properties}{body}\n'
    "</bpmn:process>\n</bpmn:definitions>\n"
)


def diagram(*elements: str, key: str = "small", name: str = "Small", case_prefix: str | None = None) -> bytes:
    """A BPMN file holding one executable process made of the given element snippets."""
    properties = ""
    if case_prefix:
        properties = (
            "<bpmn:extensionElements><camunda:properties>"
            f'<camunda:property name="casePrefix" value="{case_prefix}"/>'
            "</camunda:properties></bpmn:extensionElements>\n"
        )
    return _DEFINITIONS.format(key=key, name=name, properties=properties, body="\n".join(elements)).encode(
        "utf-8"
    )


def flow(source: str, target: str, condition: str | None = None, flow_id: str | None = None) -> str:
    condition_xml = (
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        if condition
        else ""
    )
    return (
        f'<bpmn:sequenceFlow id="{flow_id or f"flow_{source}_{target}"}" sourceRef="{source}" '
        f'targetRef="{target}">{condition_xml}</bpmn:sequenceFlow>'
    )


def start_event(element_id: str = "start") -> str:
    return f'<bpmn:startEvent id="{element_id}"/>'


def end_event(element_id: str = "end") -> str:
    return f'<bpmn:endEvent id="{element_id}"/>'


def user_task(
    element_id: str, groups: str | None = "operator", fields: str = "", name: str | None = None
) -> str:
    groups_xml = f' camunda:candidateGroups="{groups}"' if groups is not None else ""
    form = (
        f"<bpmn:extensionElements><camunda:formData>{fields}</camunda:formData></bpmn:extensionElements>"
        if fields
        else ""
    )
    return f'<bpmn:userTask id="{element_id}" name="{name or element_id}"{groups_xml}>{form}</bpmn:userTask>'


def script_task(element_id: str, script: str, name: str | None = None) -> str:
    from xml.sax.saxutils import escape

    return (
        f'<bpmn:scriptTask id="{element_id}" name="{name or element_id}" scriptFormat="python">'
        f"<bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>"
    )


def form_field(
    field_id: str, field_type: str = "string", constraints: str = "", extra: str = "", attrs: str = ""
) -> str:
    """A camunda:formField; constraints like '<camunda:constraint name="required"/>'."""
    validation = f"<camunda:validation>{constraints}</camunda:validation>" if constraints else ""
    return (
        f'<camunda:formField id="{field_id}" label="{field_id}" type="{field_type}"{attrs}>'
        f"{validation}{extra}</camunda:formField>"
    )


def boundary_timer(
    element_id: str, attached_to: str, kind: str, expression: str, interrupting: bool = False
) -> str:
    """A timer on a task; kind is timeDuration, timeDate or timeCycle."""
    from xml.sax.saxutils import escape

    return (
        f'<bpmn:boundaryEvent id="{element_id}" attachedToRef="{attached_to}" '
        f'cancelActivity="{"true" if interrupting else "false"}">'
        f'<bpmn:timerEventDefinition><bpmn:{kind} xsi:type="bpmn:tFormalExpression">{escape(expression)}'
        f"</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    )


def linear(*steps: str, key: str = "small", name: str = "Small", extra: tuple[str, ...] = ()) -> bytes:
    """start -> steps (element snippets, in order) -> end, with the flows between them."""
    import re

    ids = [re.search(r'\bid="([^"]+)"', step).group(1) for step in steps]  # type: ignore[union-attr]
    chain = ["start", *ids, "end"]
    flows = [flow(a, b) for a, b in zip(chain, chain[1:], strict=False)]
    return diagram(start_event(), *steps, end_event(), *flows, *extra, key=key, name=name)


# --- reference data, customers and heads of department ---------------------------------------------

# (account, name, phone, district, building, unit, room)
CUSTOMERS = (
    ("JM-0301-101", "刘洋", "13900000001", "金明区", "3号楼", "1单元", "101"),
    ("JM-0301-202", "陈静", "13900000002", "金明区", "3号楼", "1单元", "202"),
    ("JM-0302-501", "张伟", "13800001111", "金明区", "3号楼", "2单元", "501"),
    ("JM-0501-301", "王芳", "13900000004", "金明区", "5号楼", "1单元", "301"),
    ("JM-0502-602", "李强", "", "金明区", "5号楼", "2单元", "602"),
    ("XH-0101-101", "赵敏", "13900000006", "兴华区", "1号楼", "1单元", "101"),
)
# Heads of department hold the department's role and department_head (L2); one supervisor account.
HEADS = {"operations": "operations_head", "repair": "repair_head"}


ROUTING_DMN = PROCESSES / "routing.dmn"


def deploy_routing(session: Session, now: Any) -> None:
    """The shipped routing decision (category → department, on-site minutes) that the complaint and
    repair diagrams' business rule task runs."""
    from engine.clock import SettableClock
    from engine.decisions import deploy_decision

    deploy_decision(session, SettableClock(now), ROUTING_DMN.read_bytes(), str(ROUTING_DMN), "test")


def seed_reference(session: Session, now: Any) -> None:
    """Departments and categories of PROCEDURES.md, the customer register above, heads and a supervisor."""
    from engine.clock import SettableClock
    from engine.db.models import Customer, User, UserRole
    from engine.reference.data import seed_reference_data

    seed_reference_data(session, SettableClock(now))
    deploy_routing(session, now)
    session.add_all(
        Customer(
            account_no=a,
            name=n,
            phone=p,
            email=f"{a.lower()}@example.test" if not p else "",
            district=d,
            building=b,
            unit=u,
            room=r,
            heated_area=80.0,
        )
        for a, n, p, d, b, u, r in CUSTOMERS
    )
    staff = [(username, {department, "department_head"}) for department, username in HEADS.items()]
    staff.append((SUPERVISOR.username, {"supervisor"}))
    for username, roles in staff:
        session.add(
            User(
                username=username,
                display_name=username,
                password_hash="!",
                active=True,
                created_at=now,
                roles=[UserRole(role=r) for r in sorted(roles)],
            )
        )
    session.flush()


# --- cases with a deadline, for timer tests ---------------------------------------------------------------


def deadline_diagram(chase_script: str = "chased = True", minutes: int = 10, key: str = "small") -> bytes:
    """A task with a non-interrupting deadline whose branch runs `chase_script`."""
    return diagram(
        start_event(),
        user_task("work"),
        end_event(),
        boundary_timer("deadline", "work", "timeDuration", f"PT{minutes}M"),
        script_task("chase", chase_script),
        end_event("end_chase"),
        flow("start", "work"),
        flow("work", "end"),
        flow("deadline", "chase"),
        flow("chase", "end_chase"),
        key=key,
    )


def open_cases(
    sessions: Any, runtime: Any, count: int, xml: bytes | None = None, key: str = "small"
) -> list[int]:
    from engine.cases.runner import start_case
    from engine.processes.deployment import deploy

    with sessions.begin() as session:
        deploy(session, runtime, xml or deadline_diagram(), f"{key}.bpmn", "test")
    ids = []
    for _ in range(count):
        with sessions.begin() as session:
            ids.append(start_case(session, runtime, key, OPERATOR).id)
    return ids


# --- editing a shipped diagram the way a process owner would, one change at a time -----------------------

BPMN_XPATH_NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
}


def the_element(root: Any, xpath: str) -> Any:
    (element,) = root.xpath(xpath, namespaces=BPMN_XPATH_NS)
    return element


def set_attribute(xpath: str, attribute: str, value: str | None) -> Any:
    """A change: set (or with None, remove) one attribute of the one element the XPath finds."""

    def change(root: Any) -> None:
        element = the_element(root, xpath)
        if value is None:
            del element.attrib[attribute]
        else:
            element.set(attribute, value)

    return change


def set_text(xpath: str, value: str) -> Any:
    def change(root: Any) -> None:
        the_element(root, xpath).text = value

    return change


def remove_element(xpath: str) -> Any:
    def change(root: Any) -> None:
        element = the_element(root, xpath)
        element.getparent().remove(element)

    return change


def edited(path: Path, *changes: Any) -> bytes:
    """The diagram at `path` with the given changes applied, as a file's bytes."""
    from lxml import etree

    root = etree.fromstring(path.read_bytes())
    for change in changes:
        change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def version_taken_meanwhile(monkeypatch: Any, seen_version: int) -> None:
    """The next deploy reads version `seen_version` as the newest, as a deploy does that read just before
    someone else stored the next version: the number it picks is then already taken."""
    from engine.processes import deployment
    from engine.processes.versions import get_version

    real = deployment.latest_definition

    def read_before_the_other_deploy(session: Session, key: str, required: bool = True) -> Any:
        monkeypatch.setattr(deployment, "latest_definition", real)
        return get_version(session, key, seen_version)

    monkeypatch.setattr(deployment, "latest_definition", read_before_the_other_deploy)
