"""DMN decision tables (issue 21): deployed and versioned like diagrams, refused by name where they use
what the engine does not read, and run by business rule tasks; the routing table (C2, R2, R3, 003 art.
13) routes complaints and repairs exactly as the reference data did."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db import DecisionDefinition, HumanTask
from engine.decisions import (
    DecisionInvalid,
    decision_versions,
    deploy_decision,
    evaluate,
    latest_decision,
    parse_decision,
    table_of,
)
from engine.errors import HotlineError
from engine.processes.deployment import deploy
from engine.reference import DEFAULT_ONSITE_MINUTES, default_reference_data
from engine.runtime import Actor, Runtime
from tests.helpers import OPERATOR, PROCESSES, ROUTING_DMN, linear, user_task
from tests.integration.processes.test_validation import validate_diagram

DISPATCHER = Actor("disp1", frozenset({"dispatcher"}))
ROUTING = ROUTING_DMN.read_bytes()
CORPUS_RULE_TASK = (
    PROCESSES.parent / "tests" / "fixtures" / "constructs" / "refused_business_rule_not_deployed.bpmn"
)


def rerouted(category: str, department: str, minutes: int) -> bytes:
    """The routing table with one category's row changed, as an administrator saves it."""
    text = ROUTING.decode("utf-8")
    row_start = text.index(f'<rule id="rule_{category}">')
    row_end = text.index("</rule>", row_start)
    row = text[row_start:row_end]
    dep_start = row.index(f'<outputEntry id="dep_{category}"><text>')
    old_dep = row[dep_start : row.index("</outputEntry>", dep_start)]
    min_start = row.index(f'<outputEntry id="min_{category}"><text>')
    old_min = row[min_start : row.index("</outputEntry>", min_start)]
    new_row = row.replace(old_dep, f'<outputEntry id="dep_{category}"><text>"{department}"</text>').replace(
        old_min, f'<outputEntry id="min_{category}"><text>{minutes}</text>'
    )
    return (text[:row_start] + new_row + text[row_end:]).encode("utf-8")


def table_with(
    hit_policy: str = "UNIQUE", input_text: str = "category", entry: str = '"leak"', output: str = '"repair"'
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="small_routing" name="small">
    <decisionTable id="t" hitPolicy="{hit_policy}">
      <input id="i" label="Category"><inputExpression id="ie" typeRef="string"><text>{input_text}</text></inputExpression></input>
      <output id="o" label="Department" name="routed_department" typeRef="string" />
      <rule id="r1"><inputEntry id="e1"><text>{entry}</text></inputEntry><outputEntry id="o1"><text>{output}</text></outputEntry></rule>
      <rule id="r2"><inputEntry id="e2"><text>"burst","leak"</text></inputEntry><outputEntry id="o2"><text>"operations"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>""".encode()


@pytest.fixture
def session(sessions: sessionmaker[Session], reference_data: None) -> Any:
    with sessions() as session:
        yield session


# --- the routing table against the reference data ------------------------------------------------------


def test_the_routing_table_routes_every_shipped_category_as_procedures_md_says_c2_r2_r3() -> None:
    """C2, R2, R3, 003 art. 13: the table is the one place routing lives; for every category a new
    installation seeds (PROCEDURES.md) it has a row of its own, naming a seeded department and the
    on-site minutes PROCEDURES.md gives (a category without its own minutes: a day). The seeded rows keep
    the same values only as what a new installation starts from; nothing routes by them."""
    table = parse_decision(ROUTING, "routing.dmn")
    reference = default_reference_data()
    assert reference.categories
    departments = {d.code for d in reference.departments}
    own_rows = {row.outputs for row in table.rules[:-1]}
    for category in reference.categories:
        routed = evaluate(table, {"category": category.code})
        assert routed["routed_department"] in departments, category.code
        assert tuple(routed.values()) in own_rows, category.code
        minutes = DEFAULT_ONSITE_MINUTES if category.onsite_minutes is None else category.onsite_minutes
        assert evaluate(table, {"category": category.code}) == {
            "routed_department": category.department_code,
            "onsite_limit_minutes": minutes,
        }, category.code
    # a category added later: the department chosen at intake stays, a day to be on site
    assert evaluate(table, {"category": "new_kind"}) == {
        "routed_department": None,
        "onsite_limit_minutes": DEFAULT_ONSITE_MINUTES,
    }


# --- deploying and versions ----------------------------------------------------------------------------


def test_a_table_is_versioned_like_a_diagram(session: Session, clock: SettableClock) -> None:
    """The shipped table is v1 (seeded); the same file again makes no version; a changed one is v2."""
    assert latest_decision(session, "routing").version == 1  # type: ignore[union-attr]
    again = deploy_decision(session, clock, ROUTING, "routing.dmn", "owner")
    assert (again.created, again.definition.version) == (False, 1)
    changed = deploy_decision(
        session, clock, rerouted("leak", "operations", 20), "routing.dmn", "owner", "leaks to ops"
    )
    assert (changed.created, changed.definition.version, changed.definition.comment) == (
        True,
        2,
        "leaks to ops",
    )
    assert [d.version for d in decision_versions(session, "routing")] == [2, 1]
    assert evaluate(table_of(changed.definition), {"category": "leak"})["routed_department"] == "operations"


@pytest.mark.parametrize(
    ("xml", "words"),
    [
        (table_with(hit_policy="COLLECT"), "the hit policy COLLECT is not supported; use UNIQUE or FIRST"),
        (table_with(hit_policy="RULE ORDER"), "the hit policy RULE ORDER is not supported"),
        (table_with(entry='matches(category, "^l")'), "rule 1, input 'Category': 'matches(category"),
        (table_with(entry='date("2026-01-01")'), "is not a value this engine reads"),
        (
            table_with(input_text="category.code + 1"),
            "the input expression 'category.code + 1' is not the name",
        ),
        (table_with(output="department_of(category)"), "rule 1, output 'routed_department'"),
        (b"<definitions/>", "is not a DMN namespace"),
        (b"not xml", "does not begin with an XML element"),
        # The schema's own English ("The attribute 'colour' is not allowed") is not said either.
        (
            ROUTING.replace(b'hitPolicy="', b'colour="red" hitPolicy="', 1),
            "line 5: dmn:decisionTable does not follow the DMN standard there",
        ),
        # The parser's own words ("Excessive depth in document: 256 use XML_PARSE_HUGE") are never said.
        (b"<definitions>" + b"<a>" * 300, "its elements are nested more than 256 levels deep"),
    ],
)
def test_a_table_the_engine_cannot_read_is_refused_by_name(
    session: Session, clock: SettableClock, xml: bytes, words: str
) -> None:
    with pytest.raises(DecisionInvalid) as refused:
        deploy_decision(session, clock, xml, "bad.dmn", "owner")
    assert words in str(refused.value)
    assert latest_decision(session, "small_routing") is None


def test_simple_feel_tests_and_both_hit_policies() -> None:
    first = parse_decision(table_with(hit_policy="FIRST"), "t.dmn")
    assert evaluate(first, {"category": "leak"}) == {"routed_department": "repair"}  # the first row wins
    assert evaluate(first, {"category": "burst"}) == {"routed_department": "operations"}
    unique = parse_decision(table_with(), "t.dmn")
    with pytest.raises(HotlineError, match="matches rules 1, 2"):
        evaluate(unique, {"category": "leak"})
    ranged = parse_decision(table_with(input_text="minutes", entry="[30..120]"), "t.dmn")
    assert evaluate(ranged, {"minutes": 30}) == {"routed_department": "repair"}
    assert evaluate(ranged, {"minutes": 121}) == {"routed_department": None}
    negated = parse_decision(table_with(hit_policy="FIRST", entry='not("leak")'), "t.dmn")
    assert evaluate(negated, {"category": "water_theft"}) == {"routed_department": "repair"}


# --- a diagram's business rule task at deploy ----------------------------------------------------------


def rule_task_diagram(attributes: str) -> bytes:
    return CORPUS_RULE_TASK.read_bytes().replace(b'camunda:decisionRef="credit_check"', attributes.encode())


@pytest.mark.parametrize(
    ("attributes", "code", "words"),
    [
        ('camunda:decisionRef="routing"', "decision-unknown-input", "which reads 'category'; no form field"),
        (
            'camunda:decisionRef="routing" camunda:decisionRefBinding="version" camunda:decisionRefVersion="5"',
            "decision-not-deployed",
            "calls decision 'routing' v5, which is not deployed",
        ),
        (
            'camunda:decisionRef="routing" camunda:decisionRefBinding="version" camunda:decisionRefVersion="two"',
            "decision-version-invalid",
            "fixes the decision's version to 'two'",
        ),
        (
            'camunda:decisionRef="routing" camunda:decisionRefBinding="versionTag"',
            "decision-binding",
            "binds its decision by 'versionTag'",
        ),
    ],
)
def test_a_business_rule_task_is_checked_against_the_deployed_decisions(
    session: Session, attributes: str, code: str, words: str
) -> None:
    problems = validate_diagram(session, rule_task_diagram(attributes))
    assert [(p.code, p.element_id) for p in problems] == [(code, "Step")]
    assert words in problems[0].message


def test_the_shipped_complaint_and_repair_diagrams_are_refused_without_the_routing_table(
    sessions: sessionmaker[Session], reference_data: None
) -> None:
    with sessions() as session:
        session.query(DecisionDefinition).delete()
        for key in ("complaint", "repair"):
            problems = validate_diagram(session, (PROCESSES / f"{key}.bpmn").read_bytes())
            assert ("decision-not-deployed", "route_by_category") in [
                (p.code, p.element_id) for p in problems
            ]
        session.rollback()


# --- scenarios: cases routed by the table, saved and reloaded between steps ---------------------------------


_REPAIR_FORM = {
    "customer_name": "刘洋",
    "customer_phone": "13900000001",
    "address": "金明区3号楼1单元101",
    "description": "厨房水管接头漏水,地面有积水。",
    "department": "",
    "urgent": "",
}


def _open_repair(
    sessions: sessionmaker[Session], runtime: Runtime, category: str
) -> tuple[int, dict[str, Any]]:
    form = {**_REPAIR_FORM, "category": category}
    with sessions.begin() as session:
        case = start_case(session, runtime, "repair", DISPATCHER, form)
        case_id, data = case.id, dict(case.data)
    runtime.workflows.clear()  # the next step reloads the case from the database
    return case_id, data


def test_a_case_opened_in_the_transaction_that_deploys_a_rule_runs_it_and_a_rolled_back_one_never_runs(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    reference_data: None,
    deploy_process: Any,
    clock: SettableClock,
) -> None:
    """A unit learns from the decisions' stamp whether to ask for a decision's newest version
    (engine.decisions.stamp); what a transaction deployed itself is not known under a stamp another
    transaction may reach with another version."""
    deploy_process("repair")
    assert _open_repair(sessions, runtime, "leak")[1]["department"] == "repair"
    with sessions() as session:
        deploy_decision(session, clock, rerouted("leak", "operations", 90), "routing.dmn", "admin")
        case = start_case(session, runtime, "repair", DISPATCHER, {**_REPAIR_FORM, "category": "leak"})
        assert case.data["department"] == "operations"
        session.rollback()
    runtime.workflows.clear()
    with sessions.begin() as session:  # the stamp reaches the number the rolled-back deploy had
        deploy_decision(session, clock, rerouted("leak", "technical", 60), "routing.dmn", "admin")
    assert _open_repair(sessions, runtime, "leak")[1]["department"] == "technical"


def test_an_administrators_new_rule_routes_the_next_case_and_running_cases_keep_theirs_c2_r2_r3(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    reference_data: None,
    deploy_process: Any,
    clock: SettableClock,
) -> None:
    """R2, R3, 003 art. 13: a repair case opened before the change keeps the department and on-site minutes
    it was routed with, and is dispatched on them after a reload; a case opened after the new version of
    the table is routed by the new row."""
    deploy_process("repair")
    before_id, before = _open_repair(sessions, runtime, "leak")
    assert (before["department"], before["onsite_limit_minutes"], before["priority"]) == (
        "repair",
        30,
        "urgent",
    )

    with sessions.begin() as session:
        deploy_decision(
            session, clock, rerouted("leak", "operations", 90), "routing.dmn", "admin", "leaks to ops"
        )
    after_id, after = _open_repair(sessions, runtime, "leak")
    assert (
        after["department"],
        after["routed_department"],
        after["onsite_limit_minutes"],
        after["priority"],
    ) == (
        "operations",
        "operations",
        90,
        "normal",
    )

    # the earlier case goes on with what it was routed with: on site within 30 minutes of dispatch
    with sessions.begin() as session:
        task = (
            session.query(HumanTask)
            .filter_by(instance_id=before_id, element_id="dispatch", status="open")
            .one()
        )
        form = {"worker": "维修一班 王师傅", "expected_arrival": "2026-11-23 09:20", "arrival_told": "on"}
        case = complete_task(session, runtime, task.id, DISPATCHER, form)
        assert case.data["onsite_due"] == "2026-11-23T09:30:00+08:00"


def test_a_complaint_left_without_a_department_goes_where_the_table_says_c1_c2(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    reference_data: None,
    deploy_process: Any,
    intake_form: Any,
) -> None:
    deploy_process("complaint")
    with sessions.begin() as session:
        case = start_case(
            session, runtime, "complaint", OPERATOR, intake_form(category="quality", department="")
        )
        assert (case.data["department"], case.data["routed_department"]) == ("technical", "technical")
        chosen = start_case(
            session, runtime, "complaint", OPERATOR, intake_form(category="quality", department="operations")
        )
        assert chosen.data["department"] == "operations"  # the operator's choice stays (C1)


def test_a_fixed_decision_version_is_honoured(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, clock: SettableClock
) -> None:
    """camunda:decisionRefBinding="version": version 1 runs even after version 2 is deployed."""
    with sessions.begin() as session:
        deploy_decision(session, clock, rerouted("leak", "operations", 90), "routing.dmn", "admin")
    pinned = (
        '<bpmn:businessRuleTask id="route" name="route" camunda:decisionRef="routing" '
        'camunda:decisionRefBinding="version" camunda:decisionRefVersion="1"/>'
    )
    latest = '<bpmn:businessRuleTask id="route" name="route" camunda:decisionRef="routing"/>'
    for key, task, department in (("pinned", pinned, "repair"), ("newest", latest, "operations")):
        with sessions.begin() as session:
            deploy(session, runtime, linear(task, user_task("wait"), key=key), f"{key}.bpmn", "test")
            case = start_case(session, runtime, key, OPERATOR, initial_data={"category": "leak"})
            assert case.data["routed_department"] == department, key


def test_a_unique_table_with_two_matching_rows_fails_the_step_and_saves_nothing(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        deploy_decision(session, clock, table_with(), "small.dmn", "admin")
        task = '<bpmn:businessRuleTask id="route" name="route" camunda:decisionRef="small_routing"/>'
        deploy(session, runtime, linear(task, user_task("wait"), key="overlap"), "overlap.bpmn", "test")
    with sessions.begin() as session, pytest.raises(HotlineError) as failed:
        start_case(session, runtime, "overlap", OPERATOR, initial_data={"category": "leak"})
    assert "matches rules 1, 2" in str(failed.value)


def test_a_camunda_modeler_business_rule_task_runs_end_to_end_c2(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """The corpus diagram as Camunda Modeler 5 draws it: the intake's category, routed by the table."""
    xml = (PROCESSES.parent / "tests" / "fixtures" / "constructs" / "runs_business_rule.bpmn").read_bytes()
    with sessions.begin() as session:
        deploy(session, runtime, xml, "runs_business_rule.bpmn", "test")
        case = start_case(session, runtime, "runs_business_rule", OPERATOR, {"category": "burst"})
        assert case.status == "completed"
        assert (case.data["routed_department"], case.data["onsite_limit_minutes"]) == ("repair", 30)
