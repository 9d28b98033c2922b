"""engine.processes.deployment: versions of a process. Same content makes no new version; changed content makes
the next one; new cases start on the latest while running cases finish on theirs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn import parser as definitions
from engine.cases.definitions import latest_definition, list_definitions, parsed_definition
from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessInstance
from engine.errors import NotFound
from engine.processes.deployment import deploy, deploy_files
from engine.runtime import Runtime
from tests.helpers import COMPLAINT_BPMN, OPERATOR, linear, open_task, open_tasks, user_task

V1 = linear(user_task("first"), key="small")
V2 = linear(user_task("first"), user_task("second"), key="small")


def test_first_deploy_stores_version_one(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        result = deploy(session, runtime, V1, "processes/small.bpmn", "owner")
    assert result.created
    definition = result.definition
    assert (definition.key, definition.version, definition.name, definition.case_prefix) == (
        "small",
        1,
        "Small",
        "SM",
    )
    assert definition.file_name == "small.bpmn"
    assert definition.content_hash == definitions.content_hash(V1)
    assert definition.bpmn_xml.encode("utf-8") == V1
    assert (definition.deployed_at, definition.deployed_by) == (clock.now(), "owner")


def test_same_content_makes_no_new_version(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        first = deploy(session, runtime, V1, "small.bpmn", "owner").definition
    clock.advance(timedelta(days=1))
    with sessions.begin() as session:
        again = deploy(session, runtime, V1, "renamed.bpmn", "someone else")
        assert not again.created
        assert again.definition.id == first.id
        assert [d.version for d in list_definitions(session)] == [1]


def test_changed_content_makes_the_next_version(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, V1, "small.bpmn", "owner")
    with sessions.begin() as session:
        v2 = deploy(session, runtime, V2, "small.bpmn", "owner")
    assert (v2.created, v2.definition.version) == (True, 2)
    # going back to the first content is a change too: version 3, not a reuse of version 1
    with sessions.begin() as session:
        v3 = deploy(session, runtime, V1, "small.bpmn", "owner")
        assert (v3.created, v3.definition.version) == (True, 3)
        assert latest_definition(session, "small").version == 3
        assert [(d.key, d.version) for d in list_definitions(session)] == [
            ("small", 1),
            ("small", 2),
            ("small", 3),
        ]


def test_versions_are_counted_per_process(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, V1, "small.bpmn", "owner")
        deploy(session, runtime, V2, "small.bpmn", "owner")
        other = deploy(session, runtime, linear(user_task("first"), key="other"), "other.bpmn", "owner")
    assert other.definition.version == 1


def test_deploy_files_reads_paths(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with sessions.begin() as session:
        (result,) = deploy_files(session, runtime, [COMPLAINT_BPMN], "cli")
    assert (result.definition.key, result.definition.version, result.definition.file_name) == (
        "complaint",
        1,
        "complaint.bpmn",
    )


def test_latest_definition_of_an_unknown_process(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert latest_definition(session, "nothing", required=False) is None
        with pytest.raises(NotFound, match="no process 'nothing' is deployed"):
            latest_definition(session, "nothing")


def test_new_cases_use_the_latest_version_and_running_cases_keep_theirs(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, V1, "small.bpmn", "owner")
        old_case = start_case(session, runtime, "small", OPERATOR).id
    with sessions.begin() as session:
        deploy(session, runtime, V2, "small.bpmn", "owner")
        new_case = start_case(session, runtime, "small", OPERATOR).id

    # a restarted process: nothing cached, both versions come back from the stored XML
    restarted = Runtime(clock=clock)
    with sessions.begin() as session:
        assert session.get(ProcessInstance, old_case).definition.version == 1
        assert session.get(ProcessInstance, new_case).definition.version == 2
        complete_task(session, restarted, open_task(session, old_case, "first").id, OPERATOR, {})
        complete_task(session, restarted, open_task(session, new_case, "first").id, OPERATOR, {})
    with sessions() as session:
        old, new = session.get(ProcessInstance, old_case), session.get(ProcessInstance, new_case)
        assert (old.status, old.closed_at) == ("completed", clock.now())
        assert new.status == "running"
        assert [t.element_id for t in open_tasks(session, new_case)] == ["second"]


def test_parsed_specs_are_cached_per_content_hash(
    sessions: sessionmaker[Session], runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    parses: list[str] = []
    real_parse = definitions.parse_definition

    def counting_parse(xml: bytes, file_name: str) -> Any:
        parses.append(file_name)
        return real_parse(xml, file_name)

    monkeypatch.setattr(definitions, "parse_definition", counting_parse)
    with sessions.begin() as session:
        v1 = deploy(session, runtime, V1, "small.bpmn", "owner").definition
        deploy(session, runtime, V1, "copy.bpmn", "owner")
        for _ in range(3):
            start_case(session, runtime, "small", OPERATOR)
        v2 = deploy(session, runtime, V2, "small.bpmn", "owner").definition
        start_case(session, runtime, "small", OPERATOR)
    assert parses == ["small.bpmn", "small.bpmn"]  # once for V1, once for V2
    assert parsed_definition(runtime, v1) is parsed_definition(runtime, v1)
    assert parsed_definition(runtime, v1) is not parsed_definition(runtime, v2)
    assert parsed_definition(runtime, v1).content_hash == v1.content_hash
    assert parsed_definition(runtime, v2).content_hash == v2.content_hash
