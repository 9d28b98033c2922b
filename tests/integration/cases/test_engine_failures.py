"""A step the engine cannot run (issue 21): a multi-instance task whose collection the case lacks, a
version deployed before validation refused its construct; the engine says it as a failed step, naming
the step (and the variable), and nothing is saved."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.db.models import ProcessInstance
from engine.errors import ScriptFailed
from engine.processes.deployment import deploy
from engine.runtime import Runtime
from tests.helpers import OPERATOR, PROJECT_ROOT

CORPUS = PROJECT_ROOT / "tests" / "fixtures" / "constructs"


@pytest.mark.parametrize(
    ("name", "said"),
    [
        (
            "refused_multi_instance_unknown_list",
            "runs once per item of 'items', which the case data does not hold",
        ),
        ("refused_conditional_catch", "Error evaluating expression '${done}'"),
    ],
)
def test_a_construct_deployed_before_it_was_refused_fails_as_a_step_not_a_traceback(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, name: str, said: str
) -> None:
    with sessions.begin() as session:  # deployed without validation, as an older version was
        deploy(session, runtime, (CORPUS / f"{name}.bpmn").read_bytes(), f"{name}.bpmn", "test")
    with sessions() as session, pytest.raises(ScriptFailed) as failed:
        start_case(session, runtime, name, OPERATOR)
    assert failed.value.element_id == "Step"
    assert said in str(failed.value)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0
