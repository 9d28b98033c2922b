"""A process owner's versions of a procedure: drafts saved from the modeler (valid or not), deploying a
checked diagram as a new version, going back to an older version (rollback), and the audit log.

New cases always start on the newest version; running cases stay on theirs until migrated
(engine/processes/migration.py). Nothing here commits: the request or command does.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import MAX_BPMN_BYTES, content_hash
from engine.cases import get_version, latest_definition
from engine.clock import Clock
from engine.db import ProcessAudit, ProcessDefinition, ProcessDraft, ProcessInstance
from engine.processes.deployment import DeployResult, deploy
from engine.processes.diff import VersionDiff, diff_versions
from engine.processes.validation import InvalidDiagram, diagram_key, validate_diagram
from engine.runtime import Runtime

Draft = ProcessDraft
SOURCES = ("file", "cli", "browser", "rollback")
# Versions made from something other than the shipped .bpmn files: deploying a file over them asks first.
EDITED_SOURCES = ("browser", "rollback")

__all__ = [
    "Draft",
    "InvalidDiagram",
    "VersionDiff",
    "deploy_checked",
    "deploy_version",
    "diff_versions",
    "edited_version_over",
    "get_version",
    "latest_draft",
    "list_audit",
    "list_versions",
    "redeploy",
    "running_cases_by_version",
    "save_draft",
]


def save_draft(
    session: Session,
    xml: bytes,
    author: str,
    *,
    clock: Clock,
    zone: ZoneInfo,
    key: str | None = None,
) -> ProcessDraft:
    """Keep the diagram as it is, problems and all (only a file over the size cap is refused with
    InvalidDiagram). The key is the process id in the file, or `key` when the file names none."""
    problems = validate_diagram(session, xml, clock, zone)
    if len(xml) > MAX_BPMN_BYTES:  # kept as a draft it would only fill the database
        raise InvalidDiagram(problems)
    process_key = diagram_key(xml) or key
    if not process_key:
        raise ValueError(
            "the diagram names no executable process; give the process key to save it as a draft"
        )
    draft = ProcessDraft(
        process_key=process_key,
        bpmn_xml=xml.decode("utf-8", errors="replace"),
        content_hash=content_hash(xml),
        problem_count=len(problems),
        saved_by=author,
        saved_at=clock.now(),
    )
    session.add(draft)
    session.flush()
    return draft


def latest_draft(session: Session, key: str) -> ProcessDraft | None:
    """The newest draft still waiting to be deployed: None when it holds the same diagram as a deployed
    version, or was saved before the newest version was deployed (then it is history)."""
    draft = session.scalars(
        select(ProcessDraft).where(ProcessDraft.process_key == key).order_by(ProcessDraft.id.desc()).limit(1)
    ).first()
    if draft is None or _superseded(session, draft):
        return None
    return draft


def _superseded(session: Session, draft: ProcessDraft) -> bool:
    newest_deploy = session.scalar(
        select(func.max(ProcessDefinition.deployed_at)).where(ProcessDefinition.key == draft.process_key)
    )
    if newest_deploy is None:
        return False
    if draft.saved_at < newest_deploy:
        return True
    deployed = session.scalar(
        select(ProcessDefinition.id)
        .where(
            ProcessDefinition.key == draft.process_key, ProcessDefinition.content_hash == draft.content_hash
        )
        .limit(1)
    )
    return deployed is not None


def deploy_version(
    session: Session, runtime: Runtime, xml: bytes, author: str, comment: str, source: str = "browser"
) -> ProcessDefinition:
    """Validate and deploy the diagram as the next version; InvalidDiagram when it has problems.

    The same content as the newest version makes no new version (the newest is returned).
    """
    return deploy_checked(session, runtime, xml, author, comment, source).definition


def deploy_checked(
    session: Session,
    runtime: Runtime,
    xml: bytes,
    author: str,
    comment: str,
    source: str,
    file_name: str | None = None,
    restored_version: int | None = None,
) -> DeployResult:
    """deploy_version, saying whether a new version was made; `file_name` as the file was called."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    problems = validate_diagram(
        session, xml, runtime.clock, runtime.zone, sandbox=runtime.script_engine.sandbox
    )
    if problems:
        raise InvalidDiagram(problems)
    key = diagram_key(xml)
    return deploy(
        session, runtime, xml, file_name or f"{key}.bpmn", author, comment.strip(), source, restored_version
    )


def list_versions(session: Session, key: str) -> list[ProcessDefinition]:
    """Every version of the process, newest first."""
    return list(
        session.scalars(
            select(ProcessDefinition)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
        )
    )


def redeploy(
    session: Session, runtime: Runtime, key: str, version: int, author: str, comment: str
) -> ProcessDefinition:
    """Rollback: deploy an older version's diagram again, as the next version (checked like any deploy)."""
    old = get_version(session, key, version)
    comment = comment.strip() or f"rollback to version {version}"
    return deploy_checked(
        session,
        runtime,
        old.bpmn_xml.encode("utf-8"),
        author,
        comment,
        "rollback",
        old.file_name,
        restored_version=version,
    ).definition


def running_cases_by_version(session: Session, key: str) -> dict[int, int]:
    rows = session.execute(
        select(ProcessDefinition.version, func.count(ProcessInstance.id))
        .join(ProcessInstance, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(ProcessDefinition.key == key, ProcessInstance.status == "running")
        .group_by(ProcessDefinition.version)
    ).all()
    return {version: count for version, count in rows}


def edited_version_over(session: Session, xml: bytes, key: str) -> ProcessDefinition | None:
    """The newest version, if it was edited in the browser or rolled back and differs from this file:
    deploying the shipped file would overwrite someone's change."""
    latest = latest_definition(session, key, required=False)
    if latest is None or latest.source not in EDITED_SOURCES or latest.content_hash == content_hash(xml):
        return None
    return latest


def list_audit(session: Session, key: str | None = None, limit: int = 100) -> list[ProcessAudit]:
    query = select(ProcessAudit).order_by(ProcessAudit.id.desc()).limit(limit)
    if key is not None:
        query = query.where(ProcessAudit.process_key == key)
    return list(session.scalars(query))
