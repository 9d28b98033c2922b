"""Call activities (issue 21): the parent opens a case of another deployed procedure (latest version, or
a fixed one by camunda:calledElementBinding="version"), passing variables by camunda:in; the child is its
own case, linked to the parent both ways; when the child ends, camunda:out's variables go back and the
parent goes on in the child's own unit of work. Each step is its own unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases import runner
from engine.cases.case_calls import call_incidents, linked_cases
from engine.db import ProcessInstance
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT, SUPERVISOR, events_of, open_task

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"
PARENT = (CORPUS / "runs_call_activity.bpmn").read_text(encoding="utf-8")
CHILD = (CORPUS / "runs_user_task.bpmn").read_text(encoding="utf-8")
HANDLER = OPERATOR


def _deploy(sessions: sessionmaker[Session], runtime: Runtime, xml: str, name: str) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, xml.encode(), f"{name}.bpmn", "test")


def test_the_child_case_ends_and_the_parent_goes_on_with_its_variables(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    _deploy(sessions, runtime, CHILD, "child")
    _deploy(sessions, runtime, PARENT, "parent")
    with sessions.begin() as session:
        parent = runner.start_case(
            session, runtime, "runs_call_activity", OPERATOR, initial_data={"account": "A1"}
        )
        assert parent.status == "running"
        parent_id, parent_number = parent.id, parent.case_number
    with sessions.begin() as session:
        [child_link] = linked_cases(session, parent_id)[1]
        assert child_link.process_key == "runs_user_task" and child_link.open
        child = session.scalars(select(ProcessInstance).filter_by(case_number=child_link.case_number)).one()
        assert child.data["account"] == "A1"  # camunda:in variables="all"
        assert [c.case_number for c in linked_cases(session, child.id)[0]] == [parent_number]
        task_id, child_id = open_task(session, child.id, "Step").id, child.id
    with sessions.begin() as session:
        done = runner.complete_task(session, runtime, task_id, HANDLER, {"result": "已处理"})
        assert done.status == "completed"
    with sessions.begin() as session:
        parent = session.get(ProcessInstance, parent_id)
        assert parent is not None and parent.status == "completed"
        assert parent.data["child_result"] == "已处理"  # camunda:out source → target
        kinds = [e.kind for e in events_of(session, parent_id)]
        assert kinds.index("case_called") < kinds.index("called_case_ended") < kinds.index("case_closed")
        assert not linked_cases(session, child_id)[0][0].open


def test_a_fixed_version_is_called_and_a_child_that_ends_at_once_completes_the_call_at_once(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    script = (CORPUS / "runs_script_task.bpmn").read_text(encoding="utf-8")
    _deploy(sessions, runtime, script, "v1")
    _deploy(sessions, runtime, script.replace('name="构造"', 'name="构造 2"'), "v2")
    parent = PARENT.replace(
        'calledElement="runs_user_task"',
        'calledElement="runs_script_task" camunda:calledElementBinding="version" camunda:calledElementVersion="1"',
    )
    _deploy(sessions, runtime, parent, "parent")
    with sessions.begin() as session:
        case = runner.start_case(session, runtime, "runs_call_activity", OPERATOR)
        assert case.status == "completed"
        [child] = linked_cases(session, case.id)[1]
        assert not child.open  # ended at once, still linked
        child_case = session.scalars(select(ProcessInstance).filter_by(case_number=child.case_number)).one()
        assert child_case.definition.version == 1 and child_case.status == "completed"


def test_a_call_whose_procedure_is_gone_is_an_incident_a_retry_resolves(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """The procedure a call activity names is not deployed when a case reaches it (deploy checks it, but
    a database restored without it, or a parent deployed by the engine alone, can still meet it): the
    case is saved waiting at the call, with an incident naming the call and the procedure; once the
    procedure is deployed, a supervisor's retry opens the child case."""
    _deploy(sessions, runtime, PARENT, "parent")  # the engine's deploy, without validation's check
    with sessions.begin() as session:
        parent = runner.start_case(
            session, runtime, "runs_call_activity", OPERATOR, initial_data={"account": "A1"}
        )
        assert parent.status == "running"
        parent_id = parent.id
    with sessions.begin() as session:
        [(link, number)] = call_incidents(session)
        assert number == parent.case_number and link.child_instance_id is None
        assert "call activity '步骤' cannot open a case of procedure 'runs_user_task'" in (link.error or "")
        assert "Deploy it, then retry" in (link.error or "")
        raised = [e for e in events_of(session, parent_id) if e.kind == "incident_raised"]
        assert [(e.element_id, e.changes["error"][1]) for e in raised] == [("Step", link.error)]
        link_id = link.id
        assert linked_cases(session, parent_id)[1] == []
    # Retried before the procedure is deployed: the incident stays, and nothing else changes.
    with sessions.begin() as session:
        assert runner.retry_case_call(session, runtime, link_id, SUPERVISOR) is not None
    with sessions() as session:
        assert [row.id for row, _n in call_incidents(session)] == [link_id]
    _deploy(sessions, runtime, CHILD, "child")
    with sessions.begin() as session:
        assert runner.retry_case_call(session, runtime, link_id, SUPERVISOR) is not None
    with sessions.begin() as session:
        assert call_incidents(session) == []
        [child] = linked_cases(session, parent_id)[1]
        assert child.process_key == "runs_user_task" and child.open
        kinds = [e.kind for e in events_of(session, parent_id)]
        assert kinds.count("incident_retried") == 2 and kinds[-1] == "case_called"
        assert runner.retry_case_call(session, runtime, link_id, SUPERVISOR) is None  # nothing to retry
