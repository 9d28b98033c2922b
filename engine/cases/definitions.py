"""The deployed definitions a case runs on, as everything but deployment reads them: by key (the newest
version) or version, parsed once per content hash (the runtime's spec cache)."""

from __future__ import annotations

from typing import Literal, overload

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine.bpmn import ParsedDefinition
from engine.cases.stamps import note_stamps, stamp_columns
from engine.db import DriverStatement, ProcessDefinition, loaded_columns, session_object
from engine.errors import NotFound
from engine.runtime import Runtime

# Built once (every case opened asks it): a call binds the key to a statement compiled before.
_NEWEST_VERSION = (
    select(func.max(ProcessDefinition.version))
    .where(ProcessDefinition.key == bindparam("key"))
    .scalar_subquery()
)
_LATEST_DEFINITION = select(ProcessDefinition).where(
    ProcessDefinition.key == bindparam("key"), ProcessDefinition.version == _NEWEST_VERSION
)

# The same, with the stamps (engine.cases.stamps): a unit that opens a case takes no case lock to read
# them with (engine.cases.store.take_case), so it comes with the definition. Every column but the XML
# (deferred on the entity as well), sent straight to the driver: an ORM load of the entity costs several
# times the statement itself.
_ROW_COLUMNS = loaded_columns(ProcessDefinition)
_LATEST_DEFINITION_AND_STAMP = DriverStatement(
    select(*_ROW_COLUMNS, *stamp_columns()).where(
        ProcessDefinition.key == bindparam("key"), ProcessDefinition.version == _NEWEST_VERSION
    )
)


@overload
def latest_definition(session: Session, key: str, required: Literal[True] = True) -> ProcessDefinition: ...
@overload
def latest_definition(session: Session, key: str, required: bool) -> ProcessDefinition | None: ...
def latest_definition(session: Session, key: str, required: bool = True) -> ProcessDefinition | None:
    """The newest version of a process; without one, NotFound (or None when not `required`)."""
    definition = session.scalars(_LATEST_DEFINITION, {"key": key}).first()
    if definition is None and required:
        raise NotFound(f"no process '{key}' is deployed")
    return definition


def latest_definition_noting_stamp(session: Session, key: str) -> ProcessDefinition:
    """`latest_definition`, noting the stamps for the unit (whether the webhook subscriptions, the
    reference data or the decisions changed is then known without a statement each, engine.cases.stamps)."""
    row = _LATEST_DEFINITION_AND_STAMP.execute(session, {"key": key}).first()
    if row is None:
        raise NotFound(f"no process '{key}' is deployed")
    note_stamps(session, row[len(_ROW_COLUMNS) :])
    # The session's object for it: a case points at it, and its XML is read only if asked for.
    return session_object(session, ProcessDefinition, _ROW_COLUMNS, row)


def get_version(session: Session, key: str, version: int) -> ProcessDefinition:
    definition = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    ).first()
    if definition is None:
        raise NotFound(f"process '{key}' has no version {version}")
    return definition


def has_version(session: Session, key: str, version: int) -> bool:
    found = session.scalar(
        select(ProcessDefinition.id).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    return found is not None


def deployed_keys(session: Session) -> list[str]:
    """The key of every deployed procedure."""
    return list(session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)))


def parsed_definition(engine: Runtime, definition: ProcessDefinition) -> ParsedDefinition:
    parsed = engine.specs.cached(definition.content_hash)
    if parsed is not None:
        return parsed
    return engine.specs.get(
        definition.bpmn_xml.encode("utf-8"), definition.file_name, definition.content_hash
    )


def list_definitions(session: Session) -> list[ProcessDefinition]:
    return list(
        session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version))
    )


def list_process_names(session: Session) -> list[tuple[str, str]]:
    """(key, name) of every deployed process, by key, with the latest version's name."""
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version).order_by(
            ProcessDefinition.key, ProcessDefinition.version
        )
    ).all()
    return list({key: (key, name) for key, name, _version in rows}.values())
