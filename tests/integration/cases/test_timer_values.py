"""A timer that reads its time from the case data (`${wait}`) and finds it empty or not a time fails as
a step of the case with a message naming the timer, the expression and the value (issue 21), instead of
SpiffWorkflow's or Python's raw exception; nothing of the step is saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import ProcessInstance
from engine.errors import ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT

BOUNDARY_TIMER = (PROJECT_ROOT / "tests" / "fixtures" / "constructs" / "runs_boundary_timer.bpmn").read_text()
START_VARIABLES = (
    '<bpmn:extensionElements>\n      <camunda:properties>\n        <camunda:property name="startVariables" '
    'value="wait" />\n      </camunda:properties>\n    </bpmn:extensionElements>'
)


def timer_reading_wait(kind: str) -> bytes:
    """The corpus's user task with a deadline, its timer (`kind`) reading the case's `wait`."""
    xml = BOUNDARY_TIMER.replace('isExecutable="true">', f'isExecutable="true">\n    {START_VARIABLES}', 1)
    return xml.replace(
        '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT2H</bpmn:timeDuration>',
        f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">${{wait}}</bpmn:{kind}>',
    ).encode()


@pytest.mark.parametrize(
    ("kind", "value", "said"),
    [
        ("timeDuration", "", "gave nothing, which is not a duration (such as PT2H)"),
        ("timeDuration", "soon", "gave 'soon', which is not a duration"),
        ("timeDuration", 5, "gave 5, which is not a duration"),
        ("timeDate", "", "gave nothing, which is not a date and time"),
        ("timeDate", None, "gave nothing, which is not a date and time"),
        ("timeDate", "tomorrow", "gave 'tomorrow', which is not a date and time (such as 2026-11-23T17:30)"),
    ],
)
def test_a_timer_without_a_usable_time_is_a_failed_step_with_a_clear_message(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, kind: str, value: Any, said: str
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, timer_reading_wait(kind), "timer.bpmn", "test")
    with sessions() as session, pytest.raises(ScriptFailed) as failed:
        start_case(session, runtime, "runs_boundary_timer", OPERATOR, initial_data={"wait": value})
    assert failed.value.element_id == "Deadline"
    assert f"the timer's expression 'wait' {said}" in str(failed.value)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_a_usable_time_from_the_data_sets_the_deadline(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, timer_reading_wait("timeDuration"), "timer.bpmn", "test")
    with sessions.begin() as session:
        case = start_case(session, runtime, "runs_boundary_timer", OPERATOR, initial_data={"wait": "PT3H"})
        assert case.status == "running"
