"""Diagram roles (engine.bpmn.roles, engine.processes.deployed_roles): the KPIs (M4), the weekly and monthly
reports (M2, M3), the weekly callback sample (M1), the handover (M7) and the intake page find the callback,
the reply, the site visit and the procedures by what the diagrams declare, not by element ids: a process
owner renames them in the modeler and every figure still counts them, on the latest and older versions
alike. ROLE_CORPUS holds one broken diagram per role problem (tests/integration/processes/test_validation.py runs it)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from babel.messages.pofile import read_po
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import DefinitionError, parse_definition
from engine.bpmn.roles import ROLE_MESSAGES
from engine.cases.runner import complete_task
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.processes.deployed_roles import deployed_roles, intake_kinds
from engine.processes.deployment import deploy
from engine.reference.data import load_reference_data
from engine.runtime import Actor, Runtime
from engine.supervision.handover import snapshot
from engine.supervision.kpi import Counts, kpi_table
from engine.supervision.periods import month_period_of, week_of
from engine.supervision.reports.store import generate_report
from engine.supervision.sampling import draw_weekly_sample, on_site_population
from tests.helpers import (
    BPMN_XPATH_NS,
    COMPLAINT_BPMN,
    OPERATOR,
    PROCESSES,
    PROJECT_ROOT,
    edited,
    set_attribute,
    set_text,
    the_element,
)
from tests.report_fixtures import (
    SHANGHAI,
    WEEK_AS_OF,
    World,
    at,
    build_week,
    build_year_end_month,
)

WEEK = week_of(date(2026, 11, 23))
SEED = "0123456789abcdef0123456789abcdef"
Mutation = Callable[[Any], None]

# What a process owner renamed in the modeler: process keys, and element ids per case-number prefix.
RENAMED_KEYS = {"complaint": "grievance", "callback": "follow_up_sample"}
RENAMED_ELEMENTS = {
    "complaint": {"callback": "call_customer_back", "dispatch_site_order": "send_site_order"},
    "repair": {"callback": "ring_customer", "arrive_on_site": "worker_on_site"},
    "callback": {"sample_callback": "ring_back"},
}
BY_PREFIX = {"TS": "complaint", "BX": "repair", "HF": "callback"}
# Attributes and texts that name an element (or a process) by its id.
REFERENCES = ("id", "sourceRef", "targetRef", "attachedToRef", "bpmnElement", "default", "processRef")
REFERENCE_TEXTS = ("flowNodeRef",)


def renamed(old: str, new: str) -> Mutation:
    """A change: rename one element (or the process) and every reference to it, as the modeler does."""

    def change(root: Any) -> None:
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            for attribute in REFERENCES:
                if node.get(attribute) == old:
                    node.set(attribute, new)
            if node.tag.endswith(REFERENCE_TEXTS) and (node.text or "").strip() == old:
                node.text = new

    return change


def renamed_diagram(key: str) -> bytes:
    changes = [renamed(old, new) for old, new in RENAMED_ELEMENTS.get(key, {}).items()]
    if key in RENAMED_KEYS:
        changes.append(renamed(key, RENAMED_KEYS[key]))
    return edited(PROCESSES / f"{key}.bpmn", *changes)


def deploy_xml(sessions: sessionmaker[Session], runtime: Runtime, xml: bytes, name: str) -> ProcessDefinition:
    with sessions.begin() as session:
        return deploy(session, runtime, xml, name, "test").definition


class RenamedWorld(World):
    """THE WEEK of tests/report_fixtures.py, played on the renamed diagrams."""

    def start(self, letter: str, process: str, actor: Actor, form: dict[str, Any]) -> None:
        super().start(letter, RENAMED_KEYS.get(process, process), actor, form)

    def complete(self, letter: str, element: str, actor: Actor, values: dict[str, Any]) -> None:
        original = BY_PREFIX[self.cases[letter][:2]]
        super().complete(letter, RENAMED_ELEMENTS.get(original, {}).get(element, element), actor, values)


@pytest.fixture
def renamed_world(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> World:
    for key in ("complaint", "repair", "consultation", "callback"):
        deploy_xml(sessions, runtime, renamed_diagram(key), f"{key}.bpmn")
    return RenamedWorld(sessions, runtime, clock)


CALLBACK_TASK = "//bpmn:userTask[@id='callback']"
ROLE = "//camunda:property[@name='role']"
PROCESS_PROPERTIES = "/bpmn:definitions/bpmn:process/bpmn:extensionElements/camunda:properties"


def add_property(xpath: str, name: str, value: str) -> Mutation:
    """A change: give the element the XPath finds one more camunda property."""

    def change(root: Any) -> None:
        properties = the_element(root, f"{xpath}/bpmn:extensionElements/camunda:properties")
        properties.append(etree.Element(f"{{{BPMN_XPATH_NS['camunda']}}}property", name=name, value=value))

    return change


def set_property(name: str, value: str) -> Mutation:
    return set_attribute(f"{PROCESS_PROPERTIES}/camunda:property[@name='{name}']", "value", value)


def figures(counts: Counts) -> dict[str, tuple[int, int]]:
    return {name: (rate.part, rate.whole) for name, rate in counts.rates.items()}


def test_renamed_steps_and_procedures_still_count_in_the_kpis_and_reports_m2_m4(renamed_world: World) -> None:
    """M2, M4: the callback, reply and site-visit steps and the complaint procedure renamed: THE WEEK gives
    the hand-computed figures of tests/report_fixtures.py all the same."""
    w = build_week(renamed_world)
    with w.sessions() as session:
        assert session.scalar(select(HumanTask.id).where(HumanTask.element_id == "callback")) is None
        table = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session))
    assert figures(table.total) == {
        "satisfaction": (2, 4),
        "timeliness": (10, 13),
        "resolution": (4, 6),
        "complaint_handling": (2, 3),
    }
    assert (table.total.received, table.total.replied, table.total.closed) == (6, 5, 4)
    assert figures(table.rows["repair"])["satisfaction"] == (1, 3)

    with w.sessions.begin() as session:
        weekly, _created = generate_report(session, w.runtime, "weekly", WEEK, "tester")
        rows = {
            row["code"]: (row["received"], row["replied"], row["closed"])
            for row in weekly.content["departments"]
        }
    assert rows == {
        "customer_service": (0, 0, 0),
        "operations": (1, 1, 1),
        "repair": (2, 2, 1),
        "technical": (0, 0, 0),
        "billing": (3, 2, 2),
    }
    assert weekly.content["total"]["rates"]["satisfaction"] == {"part": 2, "whole": 4, "rate": 0.5}


def test_renamed_site_visits_make_the_sample_and_a_renamed_sampled_callback_counts_m1_m4(
    renamed_world: World,
) -> None:
    """M1: D (worker on site, finished in the week) is the week's population although its site-visit step
    was renamed (C's site order was sent too, but C is not finished); the draw opens a case of the
    renamed sampled-callback procedure, whose answer counts (M4)."""
    w = build_week(renamed_world)
    with w.sessions() as session:
        assert on_site_population(session, WEEK, SHANGHAI) == [w.cases["D"]]
    with w.sessions.begin() as session:
        result = draw_weekly_sample(session, w.runtime, WEEK, "tester", seed=SEED)
    assert result.sample.population_size == 1 and len(result.callbacks) == 1
    w.when(at(12, 1, 10, 0))
    with w.sessions.begin() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.element_id == "ring_back")).one()
        values = {"reached": "on", "satisfied": "no", "callback_comment": "仍有问题"}
        complete_task(session, w.runtime, task.id, OPERATOR, values)
    next_week = week_of(date(2026, 11, 30))
    with w.sessions() as session:
        table = kpi_table(session, next_week, SHANGHAI, at(12, 1, 12, 0), load_reference_data(session))
        sample_case = session.scalars(
            select(ProcessInstance).where(ProcessInstance.process_key == "follow_up_sample")
        ).one()
    assert sample_case.status == "running"  # not satisfied: back to the department (R5)
    assert (table.total.satisfied, table.total.answers) == (0, 1)
    assert table.total.received == 1  # G only: the sampled callback is follow-up work, not a case


def test_a_renamed_complaint_procedure_is_the_complaint_one_in_the_month_and_at_handover_m3_m7(
    renamed_world: World,
) -> None:
    """M3: the complaints by department count the renamed complaint procedure; M7: its open cases are the
    open complaints of the handover."""
    w = build_year_end_month(renamed_world)
    with w.sessions.begin() as session:
        monthly, _created = generate_report(
            session, w.runtime, "monthly", month_period_of(date(2027, 1, 1)), "t"
        )
        handed = snapshot(session, at(1, 1, 8, 0, year=2027), at(1, 1, 16, 0, year=2027))
    content = monthly.content
    assert {
        r["code"]: (r["received"], r["replied"]) for r in content["complaints_by_department"] if r["received"]
    } == {"repair": (1, 0)}
    assert [c["case_number"] for c in content["candidates"]] == [w.cases["M2"]]
    assert [c["case_number"] for c in handed["open_complaints"]] == [w.cases["M2"]]


def test_cases_on_an_older_version_keep_counting_after_a_rename_m4(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    deployed: ProcessDefinition,
) -> None:
    """M4: A is called back on version 1 (`callback`), then the step is renamed in version 2 and B is
    called back there: both answers and both replies count in the same week."""
    w = World(sessions, runtime, clock)
    w.complaint("A", at(11, 23, 9, 0))
    w.handle("A", at(11, 23, 10, 0), "operations")
    w.callback("A", at(11, 23, 11, 0), "yes")
    version_2 = deploy_xml(
        sessions, runtime, edited(COMPLAINT_BPMN, renamed("callback", "call_back")), "c.bpmn"
    )
    assert version_2.version == 2
    w.complaint("B", at(11, 23, 12, 0))
    w.handle("B", at(11, 23, 13, 0), "operations")
    w.when(at(11, 23, 14, 0))
    w.complete(
        "B", "call_back", OPERATOR, {"customer_informed": True, "satisfied": "no", "callback_note": "回访"}
    )
    with sessions() as session:
        assert deployed_roles(session).element_ids("callback") == {
            "complaint": frozenset({"callback", "call_back"})
        }
        table = kpi_table(session, WEEK, SHANGHAI, WEEK_AS_OF, load_reference_data(session))
    assert figures(table.total)["satisfaction"] == (1, 2)
    assert figures(table.total)["complaint_handling"] == (2, 2)


def test_the_intake_kinds_and_their_order_come_from_the_diagrams(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition, deploy_process: Any
) -> None:
    """The kinds of call on the intake page are the diagrams with intake = true, in their intakeOrder."""
    for key in ("repair", "consultation", "liaison"):
        deploy_process(key)
    with sessions() as session:
        assert intake_kinds(session) == ("complaint", "consultation", "repair")
    first = edited(PROCESSES / "repair.bpmn", set_property("intakeOrder", "0"))
    deploy_xml(sessions, runtime, first, "repair.bpmn")
    no_intake = edited(PROCESSES / "consultation.bpmn", set_property("intake", "false"))
    deploy_xml(sessions, runtime, no_intake, "consultation.bpmn")
    with sessions() as session:
        assert intake_kinds(session) == ("repair", "complaint")


def test_the_shipped_diagrams_declare_their_roles() -> None:
    roles = {
        path.stem: parse_definition(path.read_bytes(), str(path)).roles
        for path in sorted(PROCESSES.glob("*.bpmn"))
    }
    assert roles["complaint"].process_roles == {"complaint"}
    assert (roles["complaint"].element_id("callback"), roles["complaint"].element_id("replied")) == (
        "callback",
        "callback",
    )
    assert {key: r.element_ids("site_visit") for key, r in roles.items() if r.element_ids("site_visit")} == {
        "complaint": ("dispatch_site_order",),
        "repair": ("arrive_on_site",),
        "liaison": ("solve_on_site",),
    }
    assert roles["callback"].process_roles == {"sampled_callback"}
    assert roles["callback"].element_id("callback") == "sample_callback"
    assert roles["outage"].process_roles == {"outage"}
    assert {key: r.default_department for key, r in roles.items() if r.default_department} == {
        "connection": "operations",
        "outage": "operations",
    }


def test_a_malformed_role_is_refused_at_deploy_too() -> None:
    """Not only the modeler's check: the engine's parser refuses it, whatever path deploys the file."""
    xml = edited(COMPLAINT_BPMN, set_attribute(f"{CALLBACK_TASK}{ROLE}", "value", "callback,replied,answer"))
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "complaint.bpmn")
    assert [p.element_id for p in refused.value.problems] == ["callback"]
    assert "declares the role 'answer'" in str(refused.value)


# rule → (change to complaint.bpmn, code, element id, element name, words of the message)
def _both(*changes: Mutation) -> Mutation:
    def change(root: Any) -> None:
        for one in changes:
            one(root)

    return change


ROLE_CORPUS: dict[str, tuple[Mutation, str, str, str | None, str]] = {
    "a step's role is a known one": (
        set_attribute(f"{CALLBACK_TASK}{ROLE}", "value", "callback,replied,answer"),
        "role-unknown",
        "callback",
        "回访客户",
        "declares the role 'answer', which is no role of a step. Choose one of: callback, replied, site_visit",
    ),
    "a process role is a known one": (
        set_property("role", "complain"),
        "process-role-unknown",
        "complaint",
        "投诉处理",
        "declares the role 'complain', which is no role of a procedure",
    ),
    "a role sits on a user task": (
        add_property("//bpmn:scriptTask[@id='set_reply_deadline']", "role", "site_visit"),
        "role-not-on-user-task",
        "set_reply_deadline",
        "设定当日答复时限",
        "only a user task can have it",
    ),
    "a process has one callback": (
        add_property("//bpmn:userTask[@id='summarise_and_close']", "role", "callback"),
        "role-not-unique",
        "summarise_and_close",
        "分析总结并结案",
        "'分析总结并结案' and '回访客户' both declare the role 'callback'",
    ),
    "a consultation procedure declares its on-the-spot field": (
        set_property("role", "complaint,consultation"),
        "consultation-without-answer-field",
        "complaint",
        "投诉处理",
        "needs the process property answeredField",
    ),
    "a complaint procedure declares its reply": (
        set_attribute(f"{CALLBACK_TASK}{ROLE}", "value", "callback"),
        "role-missing",
        "complaint",
        "投诉处理",
        "with the role 'complaint' needs a user task with the role 'replied'",
    ),
    "a callback asks whether the customer is satisfied": (
        _both(  # the gateway reads the renamed field too (else its condition names an unknown name)
            set_attribute(f"{CALLBACK_TASK}//camunda:formField[@id='satisfied']", "id", "happy"),
            set_text(
                "//bpmn:sequenceFlow[@id='flow_satisfied_no']/bpmn:conditionExpression", "happy == 'no'"
            ),
            set_text(
                "//bpmn:scriptTask[@id='prepare_platform_reply']/bpmn:script", "platform_reply = str(happy)"
            ),
        ),
        "callback-without-answer",
        "callback",
        "回访客户",
        "has no form field 'satisfied'",
    ),
    "a callback's answer can be yes": (
        set_attribute(
            f"{CALLBACK_TASK}//camunda:formField[@id='satisfied']/camunda:value[@id='yes']", "id", "ok"
        ),
        "callback-without-answer",
        "callback",
        "回访客户",
        "(values yes / no)",
    ),
    "a send-back review records its decision (C4)": (
        _both(  # the gateway reads the renamed field too
            set_attribute(
                "//bpmn:userTask[@id='review_sendback']//camunda:formField[@id='sendback_decision']",
                "id",
                "verdict",
            ),
            set_text(
                "//bpmn:sequenceFlow[@id='flow_sendback_approved']/bpmn:conditionExpression",
                "verdict == 'approve'",
            ),
        ),
        "review-without-decision",
        "review_sendback",
        "审核退单",
        "has no form field 'sendback_decision'",
    ),
    "intake is true or false": (
        set_property("intake", "yes"),
        "intake-flag",
        "complaint",
        "投诉处理",
        "intake is 'yes'; write true or false",
    ),
    "intakeOrder is a whole number": (
        set_property("intakeOrder", "first"),
        "intake-order",
        "complaint",
        "投诉处理",
        "intakeOrder is 'first'; write a whole number",
    ),
}


@pytest.mark.parametrize("rule", list(ROLE_CORPUS))
def test_a_broken_role_is_named_with_its_fix_in_chinese_too(rule: str) -> None:
    """The Chinese catalog has every role problem, with the same parameters."""
    _mutation, code, _element, _name, _words = ROLE_CORPUS[rule]
    path = PROJECT_ROOT / "webforms" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        chinese = read_po(handle).get(ROLE_MESSAGES[code]).string
    assert chinese and chinese != ROLE_MESSAGES[code]
    assert sorted(set(_params(chinese))) == sorted(set(_params(ROLE_MESSAGES[code])))


def _params(template: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", template)
