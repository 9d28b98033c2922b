"""Common Camunda 7 constructs drawn as Camunda Modeler writes them (issue 21), run end to end from the
diagrams of tests/fixtures/constructs/. Every step is its own unit of work and the case is reloaded from
the database before the next one (see driver.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.calendar import BusinessCalendar
from engine.cases import latest_definition, parsed_definition
from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.errors import Conflict, FormInvalid, NotAllowed, ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Actor, Runtime
from engine.work import intake_task, open_tasks_for
from engine.work.claims import claim_task
from tests.helpers import OPERATOR, PROJECT_ROOT, department_handler, row_counts
from tests.scenarios.driver import (
    CLOSED,
    CaseDriver,
    completed,
    created,
    end,
    new,
    script,
)

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"


def deploy_corpus(sessions: sessionmaker[Session], runtime: Runtime, name: str) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")


@pytest.fixture
def start_form_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> CaseDriver:
    deploy_corpus(sessions, runtime, "runs_start_form")
    return CaseDriver(sessions, runtime, clock, "runs_start_form", {"Step": "处理"})


def test_the_start_event_form_is_the_intake_and_its_values_are_the_case_data(
    start_form_case: CaseDriver, runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    """The start event's camunda:formData opens the case: its values (checked and typed) are the data the
    case starts with, a script after the start event reads them, and the first user task opens for its
    group, unclaimed (the start form is not that task's form)."""
    case = start_form_case
    with sessions() as session:
        parsed = parsed_definition(runtime, latest_definition(session, "runs_start_form"))
    intake = intake_task(runtime, parsed)
    assert intake is not None and intake.element_id == "StartEvent_1"
    assert [f.id for f in intake.fields] == ["caller", "floors"] and intake.candidate_groups == "operator"

    case.data.update(caller="张三", floors=3)
    case.start(
        OPERATOR,
        {"caller": "张三", "floors": "3"},
        events=[
            (
                "case_started",
                OPERATOR.username,
                None,
                {"process_version": [None, 1], **new(caller="张三", floors=3)},
            ),
            script("Greet", new(greeting="来电:张三")),
            created("Step", "operator"),
        ],
        open_now=[("Step", "operator")],
    )
    assert case.task("Step").assignee is None
    case.complete(
        "Step",
        OPERATOR,
        {"result": "已回复"},
        events=[completed(OPERATOR, "Step", new(result="已回复")), end("EndEvent_1"), CLOSED],
        open_now=[],
    )
    with sessions() as session:
        assert case.instance(session).status == "completed"


def _start(sessions: sessionmaker[Session], runtime: Runtime, actor: Actor, form: dict[str, Any]) -> None:
    with sessions.begin() as session:
        start_case(session, runtime, "runs_start_form", actor, form)


def test_a_start_form_with_bad_values_or_from_another_group_opens_no_case(
    start_form_case: CaseDriver, runtime: Runtime, sessions: sessionmaker[Session]
) -> None:
    """The start form is checked on the server like a task's form: a required field left empty and a
    number below its minimum are refused field by field; someone outside the first task's groups may
    not open a case. Nothing is written either way."""
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(FormInvalid) as refused:
        _start(sessions, runtime, OPERATOR, {"caller": "", "floors": "0"})
    assert set(refused.value.errors) == {"caller", "floors"}
    with pytest.raises(NotAllowed):
        _start(sessions, runtime, department_handler("operations"), {"caller": "张三"})
    with sessions() as session:
        assert row_counts(session) == before


REPAIR_HEAD = Actor("repair_head", frozenset({"repair", "department_head"}))


@pytest.fixture
def assignee_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> CaseDriver:
    deploy_corpus(sessions, runtime, "runs_assignee")
    return CaseDriver(sessions, runtime, clock, "runs_assignee", {"Record": "登记", "Step": "处理"})


def test_a_task_given_to_a_person_of_the_case_data_is_theirs_alone(
    assignee_case: CaseDriver, sessions: sessionmaker[Session]
) -> None:
    """camunda:assignee="${handler}": the task opens as the person's own (their "mine" tab), for no
    group; nobody else may complete or claim it; the person completes it."""
    case = assignee_case
    case.start(
        OPERATOR,
        {"handler": "repair_head"},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            completed(OPERATOR, "Record", new(handler="repair_head")),
            (
                "task_created",
                "system",
                "Step",
                {"candidate_groups": [None, ""], "assignee": [None, "repair_head"]},
            ),
        ],
        open_now=[("Step", "")],
    )
    step = case.task("Step")
    assert step.assignee == "repair_head"
    with sessions() as session:
        assert [t.id for t in open_tasks_for(session, "mine", "repair_head", REPAIR_HEAD.groups)] == [step.id]
        assert open_tasks_for(session, "todo", OPERATOR.username, OPERATOR.groups) == []
    case.refused("Step", OPERATOR, {"result": "代办"}, NotAllowed)
    with pytest.raises(NotAllowed), sessions.begin() as session:
        claim_task(session, step.id, OPERATOR, case.clock.now())
    case.complete(
        "Step",
        REPAIR_HEAD,
        {"result": "已修好"},
        events=[completed(REPAIR_HEAD, "Step", new(result="已修好")), end("EndEvent_1"), CLOSED],
        open_now=[],
    )


def test_an_assignee_the_case_data_leaves_empty_fails_the_step_naming_it(
    assignee_case: CaseDriver, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """A task nobody may do would wait for ever: the step that would open it fails, naming the task,
    and nothing is saved."""
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(ScriptFailed) as failed, sessions.begin() as session:
        start_case(session, runtime, "runs_assignee", OPERATOR, {"handler": ""})
    assert failed.value.element_id == "Step" and "${handler}" in failed.value.detail
    with sessions() as session:
        assert row_counts(session) == before


@pytest.fixture
def candidate_users_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> CaseDriver:
    deploy_corpus(sessions, runtime, "runs_candidate_users")
    return CaseDriver(sessions, runtime, clock, "runs_candidate_users", {"Step": "处理"})


def test_a_person_named_beside_a_group_sees_claims_and_completes_the_task(
    candidate_users_case: CaseDriver, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """camunda:candidateUsers="repair_head" beside candidateGroups="operator": the task is in the group
    tab of both the operators and that person, whoever claims it first has it (the other gets a
    conflict), and the person completes it."""
    case = candidate_users_case
    with sessions.begin() as session:
        case.id = start_case(session, runtime, "runs_candidate_users", OPERATOR).id
    case.runtime.workflows.clear()
    step = case.task("Step")
    assert step.candidate_groups == "operator,user:repair_head"
    with sessions() as session:
        assert [t.id for t in open_tasks_for(session, "group", "repair_head", REPAIR_HEAD.groups)] == [
            step.id
        ]
        assert [t.id for t in open_tasks_for(session, "group", OPERATOR.username, OPERATOR.groups)] == [
            step.id
        ]
        assert open_tasks_for(session, "group", "sup1", frozenset({"supervisor"})) == []
    with sessions.begin() as session:
        claim_task(session, step.id, REPAIR_HEAD, case.clock.now())
    with pytest.raises(Conflict), sessions.begin() as session:
        claim_task(session, step.id, OPERATOR, case.clock.now())
    with sessions.begin() as session:
        complete_task(session, runtime, step.id, REPAIR_HEAD, {"result": "已处理"})
        assert case.instance(session).status == "completed"


def test_candidate_starters_decide_who_opens_a_case_and_a_procedure_may_be_the_systems_alone(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """camunda:candidateStarterGroups="operator" candidateStarterUsers="repair_head": the named person
    opens a case though the intake step is the operators'; someone else may not. With
    isStartableInTasklist="false" no intake form opens a case, but the system still does."""
    deploy_corpus(sessions, runtime, "runs_starter_groups")
    deploy_corpus(sessions, runtime, "runs_not_startable")
    with sessions.begin() as session:
        case = start_case(session, runtime, "runs_starter_groups", REPAIR_HEAD, {"result": "已处理"})
        assert (case.status, case.opened_by) == ("completed", "repair_head")
    with sessions() as session:
        before = row_counts(session)
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "runs_starter_groups", department_handler("billing"), {"result": "x"})
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "runs_not_startable", OPERATOR, {"result": "x"})
    with sessions() as session:
        assert row_counts(session) == before
    with sessions.begin() as session:
        assert start_case(session, runtime, "runs_not_startable", OPERATOR).status == "running"


def test_due_date_follow_up_and_priority_are_the_tasks_deadline_reminder_and_order(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """camunda:dueDate="P2D" is the task's deadline two working days on (the office's closing time),
    followUpDate="PT4H" four hours after it opened, and priority="80" puts the task before the
    tasks of the same deadline (none here) that were created earlier."""
    for name in ("runs_due_date", "runs_follow_up_date", "runs_priority"):
        deploy_corpus(sessions, runtime, name)
    opened = clock.now()
    ids = {}
    for name in ("runs_due_date", "runs_follow_up_date", "runs_priority"):
        with sessions.begin() as session:
            ids[name] = start_case(session, runtime, name, OPERATOR).id
        clock.advance(timedelta(minutes=1))
    runtime.workflows.clear()
    with sessions() as session:
        tasks = {t.instance.process_key: t for t in open_tasks_for(session, "group", "op1", OPERATOR.groups)}
        due = tasks["runs_due_date"]
        assert due.due_at == BusinessCalendar(runtime.zone).working_days_after(opened, 2)
        assert (due.priority, due.follow_up_at) == (50, None)
        follow = tasks["runs_follow_up_date"]
        assert (follow.due_at, follow.follow_up_at) == (None, opened + timedelta(minutes=1, hours=4))
        assert tasks["runs_priority"].priority == 80
        order = [t.instance.process_key for t in open_tasks_for(session, "group", "op1", OPERATOR.groups)]
        assert order == ["runs_due_date", "runs_priority", "runs_follow_up_date"]


def test_a_due_date_the_case_data_gives_wrong_fails_the_step_naming_the_task(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    xml = (CORPUS / "runs_start_form.bpmn").read_bytes()
    xml = xml.replace(
        b'camunda:candidateGroups="operator">',
        b'camunda:candidateGroups="operator" camunda:dueDate="${caller}">',
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "runs_start_form.bpmn", "test")
    with pytest.raises(ScriptFailed) as failed, sessions.begin() as session:
        start_case(session, runtime, "runs_start_form", OPERATOR, {"caller": "下周"})
    assert failed.value.element_id == "Step"
    assert "camunda:dueDate ${caller}: '下周' is no ISO date-time" in failed.value.detail


def test_a_scripts_result_variable_and_the_initiator_are_case_data(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """camunda:resultVariable="answer" keeps the value of the script's last line (total + 2);
    camunda:initiator="starter" keeps who opened the case, from the case's first moment."""
    deploy_corpus(sessions, runtime, "runs_result_variable")
    deploy_corpus(sessions, runtime, "runs_initiator")
    scripted = CaseDriver(sessions, runtime, clock, "runs_result_variable", {})
    scripted.open_with(
        OPERATOR,
        {},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            script("Step", new(total=40, answer=42)),
            end("EndEvent_1"),
            CLOSED,
        ],
        open_now=[],
    )
    initiated = CaseDriver(sessions, runtime, clock, "runs_initiator", {"Step": "处理"})
    initiated.data.update(starter="op1")
    initiated.start(
        OPERATOR,
        {"result": "已处理"},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1], **new(starter="op1")}),
            completed(OPERATOR, "Step", new(result="已处理")),
            end("EndEvent_1"),
            CLOSED,
        ],
        open_now=[],
    )


def test_input_and_output_parameters_carry_values_into_and_out_of_steps(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """camunda:inputOutput: the script task's inputs (a text, a list) are there for its script and its
    output ${total} stores the script's value; the user task's input map opens with the task (in its
    history), and its output ${result == '已处理'} is stored as it is completed."""
    deploy_corpus(sessions, runtime, "runs_input_output")
    case = CaseDriver(sessions, runtime, clock, "runs_input_output", {"Step": "处理"})
    labels = {"answer": 42, "unit": "元"}
    case.data.update(labels=labels)
    case.open_with(
        OPERATOR,
        {},
        events=[
            ("case_started", OPERATOR.username, None, {"process_version": [None, 1]}),
            script("Compute", new(base="40", items=["a", "b"], total=42, answer=42)),
            (
                "task_created",
                "system",
                "Step",
                {"candidate_groups": [None, "operator"], "labels": [None, labels]},
            ),
        ],
        open_now=[("Step", "operator")],
    )
    case.complete(
        "Step",
        OPERATOR,
        {"result": "已处理"},
        events=[completed(OPERATOR, "Step", new(result="已处理", done=True)), end("EndEvent_1"), CLOSED],
        open_now=[],
    )


def test_a_start_form_is_filled_in_by_the_candidate_starters_where_the_process_names_them(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    xml = (CORPUS / "runs_start_form.bpmn").read_bytes()
    xml = xml.replace(
        b'isExecutable="true">', b'isExecutable="true" camunda:candidateStarterGroups="dispatcher">'
    )
    with sessions.begin() as session:
        deploy(session, runtime, xml, "runs_start_form.bpmn", "test")
    dispatcher = Actor("disp1", frozenset({"dispatcher"}))
    with pytest.raises(NotAllowed), sessions.begin() as session:
        start_case(session, runtime, "runs_start_form", OPERATOR, {"caller": "张三"})
    with sessions.begin() as session:
        case = start_case(session, runtime, "runs_start_form", dispatcher, {"caller": "张三"})
        assert case.data["greeting"] == "来电:张三"
