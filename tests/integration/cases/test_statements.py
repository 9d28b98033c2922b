"""What one unit of work says to the database (issue 15): the case, its task rows and its timers read
once each, nothing read that the unit knows already, and every write a single statement per row set."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from sqlalchemy import Engine as SqlEngine
from sqlalchemy import Table, event, update
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.definitions import latest_definition_noting_stamp
from engine.cases.projection import open_task_rows
from engine.cases.runner import complete_task, start_case
from engine.cases.task_access import task_by_id
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessDefinition, ProcessInstance
from engine.processes.deployment import deploy
from engine.reference.admin import save_department
from engine.runtime import Runtime
from tests.helpers import (
    COMPLAINT_BPMN,
    OPERATOR,
    department_handler,
    events_of,
    intake_form,
    linear,
    open_task,
    user_task,
)

OPS = department_handler("operations")
RESOLVED = {"investigation": "检查了管网", "outcome": "resolved", "result": "已修复"}
_tasks = cast(Table, HumanTask.__table__)
_TRANSACTION = re.compile(r"^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b")


@contextmanager
def statements(db_engine: SqlEngine) -> Iterator[list[str]]:
    """The SQL statements sent meanwhile, transaction control left out."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not _TRANSACTION.match(statement.lstrip()):
            sent.append(" ".join(statement.split()))

    event.listen(db_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db_engine, "before_cursor_execute", record)


def _selects_of(sent: list[str], table: str) -> list[str]:
    return [s for s in sent if s.startswith("SELECT") and re.search(rf"\bFROM {table}\b", s)]


def _start(sessions: sessionmaker[Session], runtime: Runtime) -> int:
    with sessions.begin() as session:
        return start_case(session, runtime, "complaint", OPERATOR, intake_form()).id


def test_completing_a_task_reads_its_row_with_the_case_and_the_open_rows_once(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with statements(db_engine) as sent, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    task_reads = _selects_of(sent, "human_task")
    # The task by id with its case joined in, then the case's open rows once its lock is held.
    assert len(task_reads) == 2, task_reads
    assert "JOIN process_instance" in task_reads[0]
    # Of the case itself only the version under the lock (engine.cases.store.take_case_and_caller), with
    # the stamps of the webhook subscriptions, the reference data and the decisions (whether they changed
    # is known without a statement each) and whether a call of another case waits for it to end.
    [lock] = _selects_of(sent, "process_instance")
    assert lock.startswith("SELECT process_instance.version, "), lock
    assert lock.count("FROM admin_audit") == 2 and "FROM case_call" in lock, lock
    assert not [s for s in sent if "webhook_subscription" in s]
    # The case's timers are known from its workflow as loaded: their rows are not read.
    assert _selects_of(sent, "timer") == []
    # The reference data (the form's suggested-department field lists the departments) is this
    # process's snapshot of the stamp the lock read: opening the case read the tables already.
    assert _selects_of(sent, "department") == _selects_of(sent, "category") == [], sent
    assert _selects_of(sent, "case_source") == [], sent
    # The steps it waits at for a message (the diagram has one: U1's platform acknowledgement) are known
    # from its workflow as loaded: their rows are not read.
    assert _selects_of(sent, "event_subscription") == []
    # complete the department's task, open the callback with its group, close the reply deadline,
    # open the callback's, save the case, write the history
    assert len(sent) == 10, sent


def test_a_unit_after_a_change_of_reference_data_reads_the_tables_once(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    with sessions.begin() as session:
        assert not save_department(
            session, runtime.clock, "admin", "repair", {"name": "维修中心", "active": "on"}
        )
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with statements(db_engine) as sent, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    # The stamp the lock read changed: departments, categories and case sources in one statement.
    reference_reads = _selects_of(sent, "department")
    assert len(reference_reads) == 1 and reference_reads == _selects_of(sent, "category"), reference_reads
    assert reference_reads == _selects_of(sent, "case_source")
    assert [s for s in sent if "admin_audit" in s] == _selects_of(sent, "process_instance")
    assert len(sent) == 11, sent


def test_saving_a_case_sets_only_the_summary_columns_that_changed(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    """Naming a column in SET rewrites its entries in every index that carries it (on SQLite, a page of
    the write-ahead log each): the department's answer changes none of the searched columns."""
    instance_id = _start(sessions, runtime)
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
        before = session.get(ProcessInstance, instance_id)
        assert before is not None
        summary = {name: getattr(before, name) for name in _SUMMARY_COLUMNS}
    with statements(db_engine) as sent, sessions.begin() as session:
        complete_task(session, runtime, task_id, OPS, RESOLVED)
    [save] = [s for s in sent if s.startswith("UPDATE process_instance SET")]
    named = set(re.findall(r"(\w+)=", save.split(" WHERE ")[0]))
    assert {"state", "data", "version", "current_step"} <= named, save
    assert not named & set(_SUMMARY_COLUMNS), save
    with sessions() as session:
        after = session.get(ProcessInstance, instance_id)
        assert after is not None
        assert {name: getattr(after, name) for name in _SUMMARY_COLUMNS} == summary
        assert after.version == 2 and after.data["outcome"] == "resolved"


def test_a_new_case_is_inserted_with_the_summary_its_intake_gives(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    """Inserted empty, the row moved its entry in every search index at the unit's save: the intake's
    customer, address and category go in with the insert, and the save does not name them again."""
    with statements(db_engine) as sent:
        instance_id = _start(sessions, runtime)
    [insert] = [s for s in sent if s.startswith("INSERT INTO process_instance")]
    [save] = [s for s in sent if s.startswith("UPDATE process_instance SET")]
    given = {"customer_name", "customer_phone", "address", "category", "search_text", "source"}
    assert given <= set(re.findall(r"\b(\w+)\b", insert.split(" VALUES ")[0])), insert
    assert not set(re.findall(r"(\w+)=", save.split(" WHERE ")[0])) & given, save
    with sessions() as session:
        case = session.get(ProcessInstance, instance_id)
        assert case is not None
        form = intake_form()
        assert (case.customer_name, case.address, case.category) == (
            form["customer_name"],
            form["address"],
            form["category"],
        )
        assert case.search_text and case.case_number.lower() in case.search_text


_SUMMARY_COLUMNS = (
    "category",
    "department",
    "customer_name",
    "customer_phone",
    "address",
    "priority",
    "search_text",
    "status",
    "source",
    "upstream_reference",
    "upstream_deadline",
    "closed_at",
)


def test_the_completion_that_ends_a_case_nobody_called_does_not_look_for_its_caller(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, reference_data: None
) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, linear(user_task("answer")), "small.bpmn", "test")
        instance_id = start_case(session, runtime, "small", OPERATOR).id
    with sessions() as session:
        task_id = open_task(session, instance_id, "answer").id
    with statements(db_engine) as sent, sessions.begin() as session:
        assert complete_task(session, runtime, task_id, OPERATOR, {}).status == "completed"
    # The lock said no call waits for the case (the call's link is read only when one does:
    # tests/integration/cases/test_call_activities.py).
    assert [s for s in sent if s.startswith("SELECT case_call.")] == []
    # the task with its case, the lock, the open rows, the task closed, the case saved, the history
    assert len(sent) == 6, sent


def test_opening_a_case_reads_no_task_or_timer_rows_and_writes_its_history_at_once(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    _start(sessions, runtime)  # the routing decision's table is parsed once per process
    with statements(db_engine) as sent:
        instance_id = _start(sessions, runtime)
    assert _selects_of(sent, "human_task") == []
    assert _selects_of(sent, "timer") == []
    # The intake form is checked before the case exists and again as its task completes: the reference
    # data of the stamp read with the definition, read by the first case of this process, serves both.
    assert _selects_of(sent, "department") == _selects_of(sent, "category") == []
    assert len([s for s in sent if s.startswith("INSERT INTO event")]) == 1
    # A new case has no message subscriptions to read.
    assert _selects_of(sent, "event_subscription") == []
    # The webhook subscriptions', the reference data's and the decisions' stamps come with the
    # process's newest version, not in statements of their own.
    [definition_read] = _selects_of(sent, "process_definition")
    assert [s for s in sent if "admin_audit" in s] == [definition_read]
    # The routing decision's table was parsed before, and the decisions' stamp read with the definition
    # says no version was deployed since: its newest version is not asked for.
    assert _selects_of(sent, "decision_definition") == [definition_read]
    with sessions() as session:
        kinds = [e.kind for e in events_of(session, instance_id)]
    assert kinds[:2] == ["case_started", "task_completed"] and "task_created" in kinds


def test_a_definitions_xml_is_read_only_while_its_spec_is_not_parsed_yet(
    sessions: sessionmaker[Session],
    clock: SettableClock,
    tmp_path: Path,
    db_engine: SqlEngine,
    deployed: ProcessDefinition,
) -> None:
    fresh = Runtime(clock=clock, attachment_folder=tmp_path / "fresh")
    with statements(db_engine) as first:
        _start(sessions, fresh)
    with statements(db_engine) as again:
        _start(sessions, fresh)
    assert len([s for s in _selects_of(first, "process_definition") if "bpmn_xml" in s]) == 1
    assert [s for s in _selects_of(again, "process_definition") if "bpmn_xml" in s] == []


def test_the_definition_a_case_opens_on_is_the_sessions_object_for_it(
    sessions: sessionmaker[Session], deployed: ProcessDefinition
) -> None:
    with sessions() as session:
        definition = latest_definition_noting_stamp(session, "complaint")
        assert session.get(ProcessDefinition, deployed.id) is definition
        assert (definition.version, definition.content_hash, definition.deployed_at) == (
            1,
            deployed.content_hash,
            deployed.deployed_at,
        )
        assert definition.bpmn_xml == COMPLAINT_BPMN.read_text(encoding="utf-8")
        assert not session.dirty
    with sessions() as session:
        held = session.get(ProcessDefinition, deployed.id)
        assert latest_definition_noting_stamp(session, "complaint") is held


def test_the_open_task_rows_read_after_the_lock_refresh_the_sessions_objects(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    with sessions.begin() as session:
        held = open_task(session, instance_id, "department_handling")
        # Written behind the object's back, as another unit committed it before the lock.
        session.execute(update(_tasks).where(_tasks.c.id == held.id).values(assignee="someone"))
        rows = open_task_rows(session, instance_id)
        assert rows == {held.task_guid: held}
        assert held.assignee == "someone" and not session.dirty
    with sessions() as session:
        [row] = open_task_rows(session, instance_id).values()
        assert session.get(HumanTask, row.id) is row
        assert (row.element_id, row.status, row.assignee) == ("department_handling", "open", "someone")


def test_a_task_read_by_id_comes_with_its_case_and_definition_in_one_statement(
    sessions: sessionmaker[Session], runtime: Runtime, db_engine: SqlEngine, deployed: ProcessDefinition
) -> None:
    instance_id = _start(sessions, runtime)
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with sessions() as session, statements(db_engine) as sent:
        task = task_by_id(session, task_id)
        assert (task.element_id, task.instance.id, task.instance.definition.id) == (
            "department_handling",
            instance_id,
            deployed.id,
        )
        assert session.get(ProcessInstance, instance_id) is task.instance
        assert task_by_id(session, task_id) is task and not session.dirty
    assert len(sent) == 1, sent
    with sessions() as session:
        held = session.get(ProcessInstance, instance_id)
        assert held is not None
        session.expire(held, ["status"])
        with statements(db_engine) as sent:
            # The case the session holds, what it lacked filled in from the same row.
            assert task_by_id(session, task_id).instance is held and held.status == "running"
        assert len(sent) == 1, sent
