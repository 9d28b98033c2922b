"""Deploying diagrams as versioned process definitions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import content_hash
from engine.cases import latest_definition
from engine.db import ProcessAudit, ProcessDefinition
from engine.errors import Conflict
from engine.runtime import Runtime


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition
    created: bool


def deploy(
    session: Session,
    engine: Runtime,
    xml: bytes,
    file_name: str,
    deployed_by: str,
    comment: str = "",
    source: str = "file",
    restored_version: int | None = None,
) -> DeployResult:
    """Store a new version of the diagram's process, unless the latest version has the same content.

    The file is parsed and checked first: a DefinitionError leaves nothing stored. Every new version
    is written to the audit log with who, when, why and from where (`restored_version`: a rollback).
    Conflict (reason "version_taken") when someone else stored the same version number meanwhile:
    neither the version nor its audit entry is written, and the session can still be used.
    """
    digest = content_hash(xml)
    parsed = engine.specs.get(xml, file_name, digest)
    latest = latest_definition(session, parsed.key, required=False)
    if latest is not None and latest.content_hash == digest:
        return DeployResult(latest, created=False)
    now = engine.clock.now()
    definition = ProcessDefinition(
        key=parsed.key,
        version=(latest.version + 1) if latest else 1,
        name=parsed.name,
        case_prefix=parsed.case_prefix,
        content_hash=digest,
        file_name=Path(file_name).name,
        bpmn_xml=xml.decode("utf-8"),
        deployed_at=now,
        deployed_by=deployed_by,
        comment=comment,
        source=source,
    )
    audit = ProcessAudit(
        at=now,
        actor=deployed_by,
        action="rollback" if restored_version else "deploy",
        source=source,
        process_key=parsed.key,
        version=definition.version,
        from_version=latest.version if latest else None,
        comment=comment,
        details={
            "file_name": definition.file_name,
            "content_hash": digest,
            **({"restored_version": restored_version} if restored_version else {}),
        },
    )
    try:
        # A savepoint: the unique (key, version) refusing a concurrent deploy undoes only these two rows.
        with session.begin_nested():
            session.add_all([definition, audit])
    except IntegrityError as err:
        raise Conflict(
            f"someone deployed {parsed.key} v{definition.version} meanwhile; reload and deploy again",
            "version_taken",
            key=parsed.key,
            version=definition.version,
        ) from err
    return DeployResult(definition, created=True)


def deploy_files(
    session: Session, engine: Runtime, paths: list[Path], deployed_by: str
) -> list[DeployResult]:
    return [deploy(session, engine, path.read_bytes(), str(path), deployed_by) for path in paths]
