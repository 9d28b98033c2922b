"""Bringing a case's workflow into memory and back: cache first, then the stored state."""

from __future__ import annotations

from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import Table, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine.bpmn import ParsedDefinition
from engine.cases.definitions import parsed_definition
from engine.cases.stamps import note_stamps, stamp_columns
from engine.db import CaseCallRow, DriverStatement, ProcessDefinition, ProcessInstance, changed_values, write
from engine.errors import Conflict
from engine.runtime import Runtime
from engine.runtime.workflow_cache import put_after_commit


def load_workflow(engine: Runtime, instance: ProcessInstance) -> tuple[BpmnWorkflow, ParsedDefinition]:
    parsed = parsed_definition(engine, instance.definition)
    workflow = engine.workflows.take(instance.id, instance.version)
    if workflow is None:
        workflow = engine.serializer.loads(instance.state, parsed, engine.script_engine)
    return workflow, parsed


def lock_case(session: Session, instance_id: int) -> int | None:
    """Take the case's row for the rest of this transaction and return its version as last committed.

    Every unit of work that changes a case or one of its tasks (completing, firing a timer, migrating,
    claiming) takes this lock before it writes anything, so two of them on the same case run one after
    the other: the later one waits here, then sees what the first one committed. On PostgreSQL it is
    `SELECT … FOR NO KEY UPDATE` (rows of other tables may still refer to the case meanwhile); SQLite
    has taken its write lock at BEGIN IMMEDIATE already.
    """
    version: int | None = _LOCK_CASE.execute(session, {"instance_id": instance_id}).scalar()
    return version


# Built once and sent straight to the driver (engine.db.driver_statements), as are the statements below.
_LOCK_CASE = DriverStatement(
    select(ProcessInstance.version)
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update(key_share=True)
)


def take_case(session: Session, instance: ProcessInstance) -> None:
    """The first write of a unit of work that saves the case: lock its row and check nobody saved it
    since it was read (Conflict otherwise), before any task, timer or history row is written.

    Without it, two people completing the same task both inserted the next task's row and the loser
    failed on the unique constraint (a bare 500) before `save_workflow` could check the version.
    """
    locked = _TAKE_CASE.execute(session, {"instance_id": instance.id}).first()
    if locked is None or locked[0] != instance.version:
        raise changed_conflict(instance)
    # The stamps come with the lock: a unit learns whether the webhook subscriptions, the reference
    # data or the decisions changed (anywhere) without a statement of its own (engine.cases.stamps).
    note_stamps(session, locked[1:4])


# `_LOCK_CASE` with the stamps.
_TAKE_CASE = DriverStatement(
    select(ProcessInstance.version, *stamp_columns())
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update(key_share=True, of=ProcessInstance)
)


# The same lock with the stamps, also asking whether another case's call activity waits for this case to
# end (the case_call link its parent wrote as it opened it): a unit that ends the case then looks for its
# caller only when there is one, instead of asking with a statement of its own.
_LOCK_CASE_AND_CALLER = DriverStatement(
    select(
        ProcessInstance.version,
        *stamp_columns(),
        exists().where(CaseCallRow.child_instance_id == ProcessInstance.id, CaseCallRow.status == "open"),
    )
    .where(ProcessInstance.id == bindparam("instance_id"))
    .with_for_update(key_share=True, of=ProcessInstance)
)


def take_case_and_caller(session: Session, instance: ProcessInstance) -> bool:
    """`take_case`, answering whether an open call of another case waits for this one to end.

    Only the case's own end closes that call, under this lock; a call is opened with its child case."""
    row = _LOCK_CASE_AND_CALLER.execute(session, {"instance_id": instance.id}).one_or_none()
    if row is None or row[0] != instance.version:
        raise changed_conflict(instance)
    note_stamps(session, row[1:4])
    return bool(row[4])


def changed_conflict(instance: ProcessInstance) -> Conflict:
    return Conflict(
        f"case {instance.case_number} was changed by someone else while you worked on it; "
        "reload it and try again",
        "changed",
        case=instance.case_number,
    )


_instances = cast(Table, ProcessInstance.__table__)
_instance_class = ProcessInstance.__mapper__.class_manager
_INSERT_CASE = DriverStatement(insert(_instances).returning(_instances.c.id))
# Every column of a new case's row: the summary columns start empty, the first save fills them.
_EMPTY_SUMMARY = {
    name: None
    for name in (
        "category",
        "department",
        "customer_name",
        "customer_phone",
        "address",
        "priority",
        "search_text",
        "current_step",
        "closed_at",
    )
}


def insert_case(session: Session, definition: ProcessDefinition, **values: Any) -> ProcessInstance:
    """A new case's row, written at once with a Core insert; returned as the session's object for it.

    The object holds every column as written, so nothing is read back, and the ORM's flush of a new
    object (its unit-of-work bookkeeping) is not needed.
    """
    row = {**_EMPTY_SUMMARY, **values, "definition_id": definition.id, "process_key": definition.key}
    row["id"] = _INSERT_CASE.execute(session, row).scalar_one()
    # Made as the ORM makes an object it loads (a new instance of the class, the row as its state): the
    # constructor's attribute events cost more than the insert itself.
    instance: ProcessInstance = _instance_class.new_instance()
    instance.__dict__.update(row)
    make_transient_to_detached(instance)  # as if loaded: its attributes are what the row holds
    session.add(instance)
    set_committed_value(instance, "definition", definition)
    return instance


# Built once as a Core statement: each unit only binds its values, and SQLAlchemy compiles it once per
# set of columns written (the columns come from the parameters' keys) instead of building an ORM
# update of the large state and data values per unit.
_SAVE_STATE = DriverStatement(
    update(_instances).where(
        _instances.c.id == bindparam("where_id"), _instances.c.version == bindparam("where_version")
    )
)


def save_workflow(
    session: Session,
    engine: Runtime,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    values: dict[str, Any],
) -> None:
    """Write the new state with version + 1, only if nobody saved this case since it was read.

    Of the other columns only those whose value differs from what the session's object holds are sent:
    the case's search indexes carry the summary columns, and naming one in SET rewrites its index
    entries even when it stays the same. The data is always sent (the object may hold the very dict
    the unit changed in place)."""
    state = engine.serializer.dumps(workflow)
    expected = instance.version
    written = {
        **changed_values(instance, {**values, "serializer_version": engine.serializer.version}),
        "state": state,
        "version": expected + 1,
    }
    if "data" in values:
        written["data"] = values["data"]
    # Held back with the rest of a group of timer firings (engine.db.held_writes): the version check
    # is then made for the whole group at once.
    write(
        session,
        _SAVE_STATE,
        {**written, "where_id": instance.id, "where_version": expected},
        mismatch=lambda: changed_conflict(instance),
    )
    # The row now holds these values; tell the identity map without another SELECT.
    for name, value in written.items():
        set_committed_value(instance, name, value)
    put_after_commit(session, engine.workflows, instance.id, expected + 1, workflow)
