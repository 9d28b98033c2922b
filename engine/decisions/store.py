"""Deployed decisions: each deploy of a changed table is the decision's next version; a business rule
task runs the newest version (or the one its camunda:decisionRefVersion fixes) at the moment it runs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import content_hash
from engine.clock import Clock
from engine.db import DecisionDefinition, DecisionDraft, DriverStatement
from engine.decisions.stamp import decision_deployed, noted_decisions_stamp
from engine.decisions.tables import DecisionInvalid, DecisionProblem, DecisionTable, evaluate, parse_decision
from engine.errors import Conflict, NotFound

_parsed: dict[str, DecisionTable] = {}
_lock = threading.Lock()


def table_of(row: DecisionDefinition) -> DecisionTable:
    """The row's table, parsed once per content."""
    with _lock:
        cached = _parsed.get(row.content_hash)
    if cached is not None:
        return cached
    table = parse_decision(row.dmn_xml.encode("utf-8"), row.file_name)
    with _lock:
        return _parsed.setdefault(row.content_hash, table)


@dataclass(frozen=True)
class DecisionDeployed:
    definition: DecisionDefinition
    created: bool


# Built once: every unit whose case runs a decision asks it.
_LATEST_DECISION = (
    select(DecisionDefinition)
    .where(DecisionDefinition.key == bindparam("key"))
    .order_by(DecisionDefinition.version.desc())
    .limit(1)
)


# Only the newest version's content hash: a table parsed before is known by it, so a unit that runs a
# decision does not read (and load into the session) the whole stored table to find it parsed already.
_LATEST_DECISION_HASH = DriverStatement(
    select(DecisionDefinition.content_hash)
    .where(DecisionDefinition.key == bindparam("key"))
    .order_by(DecisionDefinition.version.desc())
    .limit(1)
)


# The newest versions' content hashes by decision key, as this process read them at one stamp of one
# database (engine.decisions.stamp): a unit that noted the same stamp asks for none of them again.
_latest_hashes: tuple[tuple[Any, int], dict[str, str | None]] | None = None


def _latest_hash(session: Session, key: str) -> str | None:
    global _latest_hashes
    stamp = noted_decisions_stamp(session)
    if stamp is None:
        read: str | None = _LATEST_DECISION_HASH.execute(session, {"key": key}).scalar()
        return read
    at = (session.get_bind().engine.url, stamp)
    with _lock:
        held = _latest_hashes
        if held is None or held[0] != at:
            held = _latest_hashes = (at, {})
        if key in held[1]:
            return held[1][key]
    # Read after the stamp: at least as new as it (a newer version under an older stamp is asked for
    # again by the first unit that notes the newer stamp).
    digest: str | None = _LATEST_DECISION_HASH.execute(session, {"key": key}).scalar()
    with _lock:
        held[1][key] = digest
    return digest


def forget_latest_hashes() -> None:
    """Forget the newest versions this process knows. Only for a database that went back to an earlier
    state (a test's rolled-back transaction; a restored backup comes with a restart): its stamps repeat."""
    global _latest_hashes
    with _lock:
        _latest_hashes = None


def _parsed_latest(session: Session, key: str) -> DecisionTable | None:
    """The newest version's table if it was parsed before (None: not deployed, or not parsed yet)."""
    digest = _latest_hash(session, key)
    if digest is None:
        return None
    with _lock:
        return _parsed.get(digest)


def latest_decision(session: Session, key: str) -> DecisionDefinition | None:
    return session.scalars(_LATEST_DECISION, {"key": key}).first()


def decision_version(session: Session, key: str, version: int | None) -> DecisionDefinition:
    """The newest version of the decision, or the given one; NotFound naming what is missing."""
    if version is None:
        row = latest_decision(session, key)
    else:
        row = session.scalars(
            select(DecisionDefinition).where(
                DecisionDefinition.key == key, DecisionDefinition.version == version
            )
        ).first()
    if row is None:
        which = f"version {version} of " if version is not None else ""
        raise NotFound(f"{which}decision '{key}' is not deployed; deploy its .dmn file first")
    return row


def decision_versions(session: Session, key: str) -> list[DecisionDefinition]:
    """Every version of the decision, newest first."""
    return list(
        session.scalars(
            select(DecisionDefinition)
            .where(DecisionDefinition.key == key)
            .order_by(DecisionDefinition.version.desc())
        )
    )


def decision_keys(session: Session) -> list[str]:
    return list(session.scalars(select(DecisionDefinition.key).distinct().order_by(DecisionDefinition.key)))


def deploy_decision(
    session: Session,
    clock: Clock,
    xml: bytes,
    file_name: str,
    deployed_by: str,
    comment: str = "",
    source: str = "file",
) -> DecisionDeployed:
    """Check the file (DecisionInvalid) and store it as the decision's next version, unless the newest
    version holds the same content. Conflict when someone stored the same version meanwhile."""
    table = parse_decision(xml, file_name)
    digest = content_hash(xml)
    latest = latest_decision(session, table.key)
    if latest is not None and latest.content_hash == digest:
        return DecisionDeployed(latest, created=False)
    row = DecisionDefinition(
        key=table.key,
        version=(latest.version + 1) if latest else 1,
        name=table.name,
        content_hash=digest,
        file_name=Path(file_name).name,
        dmn_xml=xml.decode("utf-8"),
        deployed_at=clock.now(),
        deployed_by=deployed_by,
        comment=comment.strip(),
        source=source,
    )
    decision_deployed(session)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as err:
        raise Conflict(
            f"someone deployed decision {table.key} v{row.version} meanwhile; reload and deploy again",
            "version_taken",
            key=table.key,
            version=row.version,
        ) from err
    return DecisionDeployed(row, created=True)


def decision_evaluator(session: Session) -> Callable[[str, int | None, dict[str, Any]], dict[str, Any]]:
    """What a business rule task calls while a case runs in this session: the outputs of the decision's
    newest (or fixed) version for the case's values."""

    def run(key: str, version: int | None, data: dict[str, Any]) -> dict[str, Any]:
        table = _parsed_latest(session, key) if version is None else None
        if table is None:
            table = table_of(decision_version(session, key, version))
        return evaluate(table, data)

    return run


def decision_problems(xml: bytes, file_name: str) -> list[DecisionProblem]:
    """Every problem that keeps the table from being deployed; [] when it may be."""
    try:
        parse_decision(xml, file_name)
    except DecisionInvalid as err:
        return err.problems
    return []


def save_decision_draft(session: Session, clock: Clock, key: str, xml: bytes, author: str) -> DecisionDraft:
    """Keep the table as it is, problems and all, under the decision it edits."""
    draft = DecisionDraft(
        key=key, dmn_xml=xml.decode("utf-8", errors="replace"), saved_by=author, saved_at=clock.now()
    )
    session.add(draft)
    session.flush()
    return draft


def latest_decision_draft(session: Session, key: str) -> DecisionDraft | None:
    """The newest draft saved after the newest version was deployed (one saved before is history)."""
    draft = session.scalars(
        select(DecisionDraft).where(DecisionDraft.key == key).order_by(DecisionDraft.id.desc()).limit(1)
    ).first()
    latest = latest_decision(session, key)
    if draft is None or (latest is not None and draft.saved_at < latest.deployed_at):
        return None
    return draft
