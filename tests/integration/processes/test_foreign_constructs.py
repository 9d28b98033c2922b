"""Diagrams from other modelers (issue 21): every BPMN element and Camunda 7 extension is classified as
runs, refused (named, with the way forward) or ignored with a warning, by the table of
engine/bpmn/constructs.py. The corpus tests/fixtures/constructs/ holds one small diagram per construct
as Camunda Modeler 5 writes it (with its drawing); each is checked for its class and its message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import (
    CONSTRUCTS,
    Support,
    constructs_markdown,
    parse_definition,
)
from engine.cases.case_calls import linked_cases
from engine.cases.event_subscriptions import subscriptions_of
from engine.cases.external_tasks import open_external_tasks
from engine.cases.runner import start_case
from engine.processes import MESSAGES, WARNING_MESSAGES, diagram_warnings
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT, events_of, timers_of
from tests.integration.processes.test_validation import validate_diagram

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"
RUNS, REFUSED, IGNORED = Support.RUNS, Support.REFUSED, Support.IGNORED

# fixture → (class, [(code, element id)], words of the first message)
EXPECTED: dict[str, tuple[Support, list[tuple[str, str]], str]] = {
    "runs_user_task": (RUNS, [], ""),
    "runs_script_task": (RUNS, [], ""),
    "runs_timer_catch": (RUNS, [], ""),
    "runs_boundary_timer": (RUNS, [], ""),
    # A reminder: a repeating timer on a non-interrupting boundary event (tests/integration/cases/test_cycle_timers.py).
    "runs_timer_cycle": (RUNS, [], ""),
    "runs_none_throw": (RUNS, [], ""),
    "runs_exclusive_gateway": (RUNS, [], ""),
    "runs_parallel_gateway": (RUNS, [], ""),
    "runs_embedded_subprocess": (RUNS, [], ""),
    "runs_text_annotation": (RUNS, [], ""),
    "runs_legacy_activiti": (RUNS, [], ""),
    # The start event's form is the intake form.
    "runs_start_form": (RUNS, [], ""),
    # A task given to a person of the case data (camunda:assignee), and one for people besides a group.
    "runs_assignee": (RUNS, [], ""),
    "runs_candidate_users": (RUNS, [], ""),
    # Who may open a case: candidate starter groups and users; a procedure only the system opens.
    "runs_starter_groups": (RUNS, [], ""),
    "runs_not_startable": (RUNS, [], ""),
    # A task's deadline, follow-up date and priority.
    "runs_due_date": (RUNS, [], ""),
    "runs_follow_up_date": (RUNS, [], ""),
    "runs_priority": (RUNS, [], ""),
    # A script task's last value stored (camunda:resultVariable); who opened the case (camunda:initiator).
    "runs_result_variable": (RUNS, [], ""),
    "runs_initiator": (RUNS, [], ""),
    # Input and output parameters (text, ${...}, list, map) of a script task and a user task.
    "runs_input_output": (RUNS, [], ""),
    # A business rule task calling the deployed routing table (tests/integration/processes/test_decisions.py).
    "runs_business_rule": (RUNS, [], ""),
    # A pool that never runs holds a service task and a JUEL condition: drawing only, not refused.
    "runs_idle_pool": (RUNS, [], ""),
    # JUEL in its common forms runs as Python; a notice beside the diagram shows the translation.
    "runs_juel_condition": (
        RUNS,
        [("construct-condition-juel-common", "Flow_a")],
        "The condition ${approved} of flow '是' is JUEL; it runs as the Python approved.",
    ),
    "runs_juel_hash_condition": (
        RUNS,
        [("construct-condition-juel-common", "Flow_a")],
        "it runs as the Python x == 1 and not urgent",
    ),
    "refused_plain_task": (REFUSED, [("construct-task", "Step")], "is a plain task (no type): nobody"),
    "refused_manual_task": (REFUSED, [("construct-manualtask", "Step")], "is a manual task"),
    "runs_receive_task": (RUNS, [], ""),
    "refused_send_task": (REFUSED, [("construct-sendtask", "Step")], "is a send task"),
    "refused_service_class": (
        REFUSED,
        [("construct-servicetask-java", "Step")],
        'service task (camunda:class="org.example.Notify"), which needs Java code',
    ),
    "refused_service_expression": (
        REFUSED,
        [("construct-servicetask-java", "Step")],
        'camunda:expression="${mailer.send(execution)}"',
    ),
    "refused_service_delegate": (
        REFUSED,
        [("construct-servicetask-java", "Step")],
        'camunda:delegateExpression="${notifier}"',
    ),
    # An external task with a topic runs (workers fetch it through the API); without a topic it is refused.
    "runs_service_external": (RUNS, [], ""),
    "refused_service_external_no_topic": (
        REFUSED,
        [("construct-servicetask-java", "Step")],
        'camunda:type="external" camunda:topic=""',
    ),
    "refused_retry_cycle_unreadable": (
        REFUSED,
        [("construct-retrycycle-invalid", "Step")],
        "retry time cycle every five minutes, which cannot be read",
    ),
    "refused_service_connector": (REFUSED, [("construct-servicetask-java", "Step")], "(camunda:connector)"),
    # Business rule tasks run a deployed DMN decision (tests/integration/processes/test_decisions.py);
    # these are refused before anything runs, each with its way forward.
    "refused_business_rule_not_deployed": (
        REFUSED,
        [("decision-not-deployed", "Step")],
        "calls decision 'credit_check', which is not deployed. Deploy its .dmn file first",
    ),
    "refused_business_rule_no_decision": (REFUSED, [("decision-without-ref", "Step")], "names no decision"),
    "refused_business_rule_binding": (
        REFUSED,
        [("decision-binding", "Step")],
        "binds its decision by 'deployment', which is not supported",
    ),
    "refused_business_rule_version_tag": (
        REFUSED,
        [("construct-decisionrefversiontag", "Step")],
        "picks its decision by camunda:decisionRefVersionTag (v2)",
    ),
    "refused_business_rule_map_result": (
        REFUSED,
        [("construct-mapdecisionresult", "Step")],
        "maps the decision's result (singleEntry)",
    ),
    "runs_call_activity": (RUNS, [], ""),
    # The procedure a call activity calls is deployed first, in the version it binds.
    "refused_call_activity_not_deployed": (
        REFUSED,
        [("call-not-deployed", "Step")],
        "calls procedure 'billing_review', which is not deployed. Deploy 'billing_review' first",
    ),
    "refused_call_activity_misspelt": (
        REFUSED,
        [("call-not-deployed-near", "Step")],
        "calls procedure 'runs_usertask', which is not deployed. Did you mean 'runs_user_task'?",
    ),
    "refused_call_activity_version": (
        REFUSED,
        [("call-version-not-deployed", "Step")],
        "calls version 3 of procedure 'runs_user_task', which has no such version (the newest is 1)",
    ),
    "refused_call_activity_version_text": (
        REFUSED,
        [("call-version-invalid", "Step")],
        "binds a fixed version of 'runs_user_task' but calledElementVersion 'v2' is no version number",
    ),
    "refused_call_activity_expression": (
        REFUSED,
        [("construct-callactivity-unknown", "Step")],
        'does not name the procedure it calls (calledElement="${procedure}")',
    ),
    "refused_user_task_nobody": (
        REFUSED,
        [("missing-candidate-group", "Step")],
        "does not say who may do it",
    ),
    "refused_form_key": (REFUSED, [("construct-formkey", "Step")], "(camunda:formKey)"),
    "refused_task_listener": (REFUSED, [("construct-camunda-tasklistener", "Step")], "task listener"),
    "refused_execution_listener": (
        REFUSED,
        [("construct-camunda-executionlistener", "Step")],
        "execution listener",
    ),
    "refused_script_format": (REFUSED, [("construct-scriptformat-other", "Step")], "is written in groovy"),
    "refused_external_script": (REFUSED, [("construct-resource", "Step")], "from the resource scripts/x.py"),
    "refused_retry_cycle": (
        REFUSED,
        [("construct-camunda-failedjobretrytimecycle", "Step")],
        "retry time cycle (R5/PT5M)",
    ),
    # Multi-instance user tasks run (tests/scenarios/test_multi_instance.py); on a script task it is refused.
    "runs_multi_instance": (RUNS, [], ""),
    # A list no form field or script sets: refused at deploy (deployed anyway, it fails as a step naming
    # the list: tests/integration/cases/test_engine_failures.py).
    "refused_multi_instance_unknown_list": (
        REFUSED,
        [("unknown-collection-variable", "Step")],
        "runs once per item of 'items', which no form field or script of this diagram sets",
    ),
    "runs_multi_instance_condition": (RUNS, [], ""),
    "refused_multi_instance": (
        REFUSED,
        [("construct-multiinstanceloopcharacteristics", "Step")],
        "runs here on user tasks only",
    ),
    "refused_loop": (REFUSED, [("construct-standardloopcharacteristics", "Step")], "is a loop task"),
    "runs_message_catch": (RUNS, [], ""),
    "runs_signal_catch": (RUNS, [], ""),
    "refused_message_unnamed": (
        REFUSED,
        [("construct-event-unnamed", "Step")],
        "waits for a message or signal that has no name (bpmn:message)",
    ),
    "refused_message_throw": (
        REFUSED,
        [("construct-messageeventdefinition", "Step")],
        "sends a message or starts on one",
    ),
    "refused_conditional_catch": (
        REFUSED,
        [("construct-conditionaleventdefinition", "Step")],
        "(conditional event)",
    ),
    "refused_link_event": (REFUSED, [("construct-linkeventdefinition", "Step")], "link event"),
    "refused_escalation_event": (REFUSED, [("construct-escalationeventdefinition", "Step")], "escalation"),
    "refused_compensation_event": (
        REFUSED,
        [("construct-compensateeventdefinition", "Step")],
        "compensation",
    ),
    "refused_timer_cycle_zero": (REFUSED, [("timer-wrong-value", "Step")], "which is not a repetition"),
    "refused_timer_empty": (REFUSED, [("timer-empty", "Step")], "has no expression"),
    "refused_start_form_in_subprocess": (
        REFUSED,
        [("start-form-in-subprocess", "Sub_start")],
        "Start event '子流程开始' of a sub-process has a form",
    ),
    "refused_start_form_key": (REFUSED, [("construct-formkey", "StartEvent_1")], "(camunda:formKey)"),
    "refused_data_store": (
        REFUSED,
        [
            ("construct-dataoutputassociation", "Step"),
            ("construct-datastorereference", "DataStoreReference_1"),
        ],
        "writes a data object or store",
    ),
    "refused_event_gateway": (REFUSED, [("construct-eventbasedgateway", "Step")], "event-based gateway"),
    "refused_inclusive_gateway": (REFUSED, [("construct-inclusivegateway", "Step")], "inclusive gateway"),
    "refused_zeebe": (REFUSED, [("construct-zeebe", "Step")], "Camunda 8 (Zeebe)"),
    "refused_juel_complex_condition": (
        REFUSED,
        [("construct-condition-juel", "Flow_a")],
        "Write: a Python expression such as approved == True",
    ),
    "refused_groovy_condition": (REFUSED, [("construct-condition-language", "Flow_a")], "written in groovy"),
    "refused_two_outgoing_flows": (
        REFUSED,
        [("construct-flow-from-task", "Step")],
        "'登记' has 2 outgoing flows or a conditional flow; only gateways choose or split",
    ),
    "refused_conditional_flow_from_task": (
        REFUSED,
        [("construct-flow-from-task", "Step")],
        "Put an exclusive",
    ),
    "refused_schema_order": (
        REFUSED,
        [("schema-misplaced", "Step")],
        "Line 9: bpmn:incoming is not allowed at this place in '步骤'",
    ),
    "ignored_async": (IGNORED, [("construct-asyncbefore", "Step")], "is marked asynchronous"),
    "ignored_history_ttl": (IGNORED, [("construct-historytimetolive", "ignored_history_ttl")], "(180 days)"),
    "ignored_version_tag": (IGNORED, [("construct-versiontag", "ignored_version_tag")], "version tag 1.0"),
    "ignored_message_flow": (IGNORED, [("construct-messageflow", "Flow_message")], "is drawn only"),
    "ignored_other_tool": (
        IGNORED,
        [("construct-extension-other", "Step")],
        "signavio:signavioMetaData of another tool",
    ),
}
# Constructs of the table that no diagram of the corpus shows on its own: attributes that come with an
# element refused as a whole (a service task's camunda:class), and the catch-alls.
WITHOUT_A_DIAGRAM = {
    "construct-signaleventdefinition",
    "construct-startevent-timereventdefinition",
    "construct-erroreventdefinition",
    "construct-terminateeventdefinition",
    "construct-canceleventdefinition",
    "construct-complexgateway",
    "construct-subprocess-event",
    "construct-transaction",
    "construct-adhocsubprocess",
    "construct-dataobjectreference",
    "construct-dataobject",
    "construct-datainputassociation",
    "construct-iospecification",
    "construct-property",
    "construct-camunda-formdata",
    "construct-resultvariable",
    "construct-camunda-inputoutput",
    "construct-camunda-script",
    "construct-camunda-formproperty",
    "construct-formref",
    "construct-formhandlerclass",
    "construct-camunda-potentialstarter",
    "construct-camunda-connector",
    "construct-camunda-field",
    "construct-camunda-in",
    "construct-camunda-out",
    "construct-mapping-other",
    "construct-camunda-erroreventdefinition",
    "construct-class",
    "construct-expression",
    "construct-delegateexpression",
    "construct-type",
    "construct-topic",
    "construct-calledelementbinding",
    "construct-collection",
    "construct-elementvariable",
    "construct-errorcodevariable",
    "construct-variablename",
    "construct-asyncafter",
    "construct-exclusive",
    "construct-jobpriority",
    "construct-taskpriority",
    "construct-modelertemplate",
    "construct-bpmn-other",
    "construct-camunda-other",
    # A Camunda 8 diagram's FEEL condition: tests/fixtures/foreign/refused_zeebe_feel.bpmn.
    "construct-condition-feel",
}


@pytest.fixture
def session(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> Any:
    with sessions.begin() as session:  # the procedure the corpus's call activities call
        deploy(session, runtime, corpus_file("runs_user_task"), "runs_user_task.bpmn", "test")
    with sessions() as session:
        yield session


def corpus_file(name: str) -> bytes:
    return (CORPUS / f"{name}.bpmn").read_bytes()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_construct_is_classified_and_said_with_its_way_forward(session: Session, name: str) -> None:
    support, expected, words = EXPECTED[name]
    xml = corpus_file(name)
    problems = validate_diagram(session, xml)
    warnings = diagram_warnings(xml)
    said = problems if support is REFUSED else warnings if support is IGNORED else problems + warnings
    assert [(p.code, p.element_id) for p in said] == expected
    if support is IGNORED:
        assert problems == []  # a warning never keeps a diagram from being deployed
    if support is RUNS:
        assert problems == []
        parse_definition(xml, f"{name}.bpmn")
        if not expected:
            return
    assert words in said[0].message
    templates = MESSAGES if support is REFUSED else WARNING_MESSAGES
    assert said[0].message == templates[said[0].code] % dict(said[0].params)


def test_every_diagram_of_the_corpus_is_expected() -> None:
    assert {path.stem for path in CORPUS.glob("*.bpmn")} == set(EXPECTED)


def test_every_refused_or_ignored_construct_has_a_diagram_or_is_listed() -> None:
    codes = {c.checked_elsewhere or c.code for c in CONSTRUCTS if c.support is not RUNS or c.template}
    shown = {code for _support, found, _words in EXPECTED.values() for code, _element in found}
    assert codes - shown == WITHOUT_A_DIAGRAM - shown
    assert codes >= WITHOUT_A_DIAGRAM


def test_every_construct_has_one_code_and_what_is_not_run_says_why() -> None:
    assert len({c.key for c in CONSTRUCTS}) == len(CONSTRUCTS)
    refused = [c for c in CONSTRUCTS if c.support is REFUSED and not c.checked_elsewhere]
    assert len({c.code for c in refused}) == len(refused)
    assert all(c.template for c in CONSTRUCTS if c.support is not RUNS and not c.checked_elsewhere)
    # What runs says nothing, but for JUEL that runs as Python: a notice shows the translation.
    assert [c.key for c in CONSTRUCTS if c.support is RUNS and c.template] == ["condition:juel-common"]


def test_every_shipped_diagram_runs_without_a_construct_warning() -> None:
    from tests.helpers import PROCESSES

    for path in sorted(PROCESSES.glob("*.bpmn")):
        assert [w for w in diagram_warnings(path.read_bytes()) if w.code.startswith("construct-")] == []


def test_every_problem_of_a_file_comes_at_once(session: Session) -> None:
    """A file with a message end event, a JUEL condition that needs Java, a process that names a group
    nobody holds as its starters and an asynchronous gateway: the three refusals and the warning are
    said in one check, each once (the JUEL condition is not said again as Python that does not compile)."""
    xml = corpus_file("refused_juel_complex_condition").decode()
    xml = xml.replace(
        'isExecutable="true">', 'isExecutable="true" camunda:candidateStarterGroups="starters">'
    )
    xml = xml.replace(
        '<bpmn:exclusiveGateway id="Step" name="是否批准" default="Flow_b">',
        '<bpmn:exclusiveGateway id="Step" name="是否批准" default="Flow_b" camunda:asyncBefore="true">',
    )
    xml = xml.replace(
        '<bpmn:endEvent id="End_a" name="结束">',
        '<bpmn:endEvent id="End_a" name="结束">\n      <bpmn:messageEventDefinition id="Message_end" />',
    )
    problems = validate_diagram(session, xml.encode())
    assert sorted((p.code, p.element_id) for p in problems) == [
        ("construct-condition-juel", "Flow_a"),
        ("construct-messageeventdefinition", "End_a"),
        ("unknown-starter", "refused_juel_complex_condition"),
    ]
    assert [w.code for w in diagram_warnings(xml.encode())] == ["construct-asyncbefore"]


def test_a_juel_condition_in_a_common_form_decides_the_way_a_case_takes(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """${approved} on the gateway's flow runs as the Python `approved`: an approved case ends at End_a,
    another at End_b (the default flow)."""
    with sessions.begin() as session:
        deploy(session, runtime, corpus_file("runs_juel_condition"), "juel.bpmn", "test")
    for approved, end in ((True, "End_a"), (False, "End_b")):
        with sessions.begin() as session:
            case = start_case(
                session, runtime, "runs_juel_condition", OPERATOR, initial_data={"approved": approved}
            )
            assert case.status == "completed"
            reached = [e.element_id for e in events_of(session, case.id) if e.kind == "end_reached"]
            assert reached == [end]


def test_a_business_rule_task_without_a_decision_is_refused_not_a_crash(session: Session) -> None:
    """SpiffWorkflow's parser raised KeyError on a business rule task without camunda:decisionRef: the
    engine reads it, and validation says what to set."""
    parse_definition(corpus_file("refused_business_rule_no_decision"), "x.bpmn")
    problems = validate_diagram(session, corpus_file("refused_business_rule_no_decision"))
    assert [p.code for p in problems] == ["decision-without-ref"]


def test_the_activiti_namespace_reads_as_camundas() -> None:
    parsed = parse_definition(corpus_file("runs_legacy_activiti"), "x.bpmn")
    assert parsed.user_tasks["Step"].candidate_groups == "operator"


def test_the_docs_show_the_table_of_constructs(tmp_path: Path) -> None:
    """docs/modelling.md holds the table as the engine has it (scripts/construct_table.py writes it)."""
    docs = (PROJECT_ROOT / "docs" / "modelling.md").read_text(encoding="utf-8")
    assert constructs_markdown() in docs


def test_every_complaint_of_the_schema_comes_at_once_in_plain_words(session: Session) -> None:
    xml = corpus_file("refused_schema_order").replace(
        b'<bpmn:endEvent id="EndEvent_1" name="\xe7\xbb\x93\xe6\x9d\x9f">',
        b'<bpmn:endEvent id="EndEvent_1" name="\xe7\xbb\x93\xe6\x9d\x9f" colour="red">',
    )
    problems = validate_diagram(session, xml)
    assert [(p.code, p.element_id) for p in problems] == [
        ("schema-misplaced", "Step"),
        ("schema-attribute", "EndEvent_1"),
    ]
    assert "has the attribute colour, which the BPMN 2.0 standard does not allow on bpmn:endEvent" in (
        problems[1].message
    )


# What a case of each diagram that runs looks like once opened (its first form, if any, filled in).
OPENED: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None, str]] = {
    "runs_user_task": ({"result": "已处理"}, None, "completed"),
    "runs_legacy_activiti": ({"result": "已处理"}, None, "completed"),
    "runs_text_annotation": ({"result": "已处理"}, None, "completed"),
    "runs_idle_pool": ({"result": "已处理"}, None, "completed"),
    "runs_boundary_timer": ({"result": "已处理"}, None, "completed"),
    "runs_timer_cycle": ({"result": "已处理"}, None, "completed"),
    "runs_script_task": (None, None, "completed"),
    "runs_none_throw": (None, None, "completed"),
    "runs_parallel_gateway": (None, None, "completed"),
    "runs_embedded_subprocess": (None, None, "completed"),
    "runs_exclusive_gateway": (None, {"approved": True}, "completed"),
    "runs_juel_condition": (None, {"approved": True}, "completed"),
    "runs_juel_hash_condition": (None, {"x": 1, "urgent": False}, "completed"),
    "runs_timer_catch": (None, None, "running"),
    "runs_start_form": ({"caller": "张三"}, None, "running"),
    "runs_assignee": ({"handler": "repair_head"}, None, "running"),
    "runs_candidate_users": ({"result": "已处理"}, None, "completed"),
    "runs_starter_groups": ({"result": "已处理"}, None, "completed"),
    "runs_not_startable": (None, None, "running"),
    "runs_due_date": ({"result": "已处理"}, None, "completed"),
    "runs_follow_up_date": ({"result": "已处理"}, None, "completed"),
    "runs_priority": ({"result": "已处理"}, None, "completed"),
    "runs_result_variable": (None, None, "completed"),
    "runs_initiator": ({"result": "已处理"}, None, "completed"),
    "runs_input_output": ({"result": "已处理"}, None, "completed"),
    "runs_service_external": (None, None, "running"),
    "runs_message_catch": (None, None, "running"),
    "runs_signal_catch": (None, None, "running"),
    "runs_receive_task": (None, None, "running"),
    "runs_call_activity": (None, None, "running"),
    "runs_business_rule": ({"category": "burst"}, None, "completed"),
    "runs_multi_instance": (None, None, "running"),
    "runs_multi_instance_condition": (None, None, "running"),
}


def test_every_diagram_that_runs_is_opened_as_a_case() -> None:
    assert set(OPENED) == {name for name, (support, _f, _w) in EXPECTED.items() if support is RUNS}


@pytest.mark.parametrize("name", sorted(OPENED))
def test_a_case_of_each_diagram_that_runs_goes_its_way(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, name: str
) -> None:
    form, data, status = OPENED[name]
    with sessions.begin() as session:
        if name == "runs_call_activity":  # the procedure it calls
            deploy(session, runtime, corpus_file("runs_user_task"), "runs_user_task.bpmn", "test")
        deploy(session, runtime, corpus_file(name), f"{name}.bpmn", "test")
    with sessions.begin() as session:
        case = start_case(session, runtime, name, OPERATOR, first_task_form=form, initial_data=data)
        assert case.status == status
        if name == "runs_service_external":  # waits for a worker, with its row to fetch
            assert [t.topic for t in open_external_tasks(session, case.id)] == ["billing"]
        elif name in ("runs_message_catch", "runs_signal_catch", "runs_receive_task"):
            assert [(w.element_id, w.event_name) for w in subscriptions_of(session, case.id)] == [
                ("Step", "outage_over" if name == "runs_signal_catch" else "reply")
            ]
        elif name == "runs_call_activity":  # the child case waits at its user task
            assert [c.process_key for c in linked_cases(session, case.id)[1]] == ["runs_user_task"]
        elif name == "runs_timer_catch":  # the timer waits, with its row for the scheduler
            assert len(timers_of(session, case.id)) == 1
