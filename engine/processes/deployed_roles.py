"""The diagram roles of everything deployed (engine.bpmn.roles), by procedure: which tasks are the
callback, the reply and the site visit, which procedure is the complaint one, the sampled callback, an
intake kind.

Cases run on older versions too, and a migrated case keeps the tasks it did on its old version, so a
role's element ids are collected per process key over every version: the figures then filter
`human_task.element_id` in SQL as before, with the ids the diagrams declare instead of ids written in
Python. Each diagram's roles are read once per content hash and the whole index once per set of
deployed versions; reading it costs one small query of keys, versions and hashes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from engine.bpmn import DiagramRoles, roles_of_xml
from engine.db import ProcessDefinition, ProcessInstance

_lock = threading.Lock()
_roles_by_hash: dict[str, DiagramRoles] = {}
_index_by_versions: dict[tuple[tuple[str, int, str], ...], DeployedRoles] = {}
_KEPT_INDEXES = 8


def of_elements(elements: Mapping[str, Iterable[str]], element_id: Any) -> Any:
    """The SQL condition "a row of one of these elements of its procedure": `elements` as
    DeployedRoles.element_ids gives them (process key -> element ids), `element_id` the column to
    match (HumanTask.element_id, Event.element_id), in a query that joins ProcessInstance."""
    return or_(
        *(
            and_(ProcessInstance.process_key == key, element_id.in_(sorted(ids)))
            for key, ids in elements.items()
        )
    )


@dataclass(frozen=True)
class DeployedRoles:
    """Every deployed version's roles, by process key (versions oldest first)."""

    versions: dict[str, tuple[DiagramRoles, ...]] = field(default_factory=dict)

    def latest(self, key: str) -> DiagramRoles:
        found = self.versions.get(key)
        return found[-1] if found else DiagramRoles()

    def element_ids(self, role: str) -> dict[str, frozenset[str]]:
        """Process key -> the ids of the tasks that have `role` in any of its versions."""
        found = {
            key: frozenset(element for roles in versions for element in roles.element_ids(role))
            for key, versions in self.versions.items()
        }
        return {key: ids for key, ids in sorted(found.items()) if ids}

    def keys_with(self, process_role: str) -> tuple[str, ...]:
        """The procedures any version of which declares the process role, by key."""
        return tuple(
            sorted(
                key
                for key, versions in self.versions.items()
                if any(process_role in roles.process_roles for roles in versions)
            )
        )

    def latest_key_with(self, process_role: str) -> str | None:
        """The procedure whose latest version declares the process role (the first by key if several)."""
        return next(
            (key for key in sorted(self.versions) if process_role in self.latest(key).process_roles), None
        )

    def deadline_timers(self, role: str) -> dict[str, frozenset[str]]:
        """Process key -> the ids of the timers on the deadlines of the tasks that have `role`."""
        found = {
            key: frozenset(
                timer
                for roles in versions
                for timer, task in roles.deadline_timers.items()
                if task in roles.element_ids(role)
            )
            for key, versions in self.versions.items()
        }
        return {key: ids for key, ids in sorted(found.items()) if ids}

    def default_department(self, key: str) -> str | None:
        return self.latest(key).default_department

    def intake_kinds(self) -> tuple[str, ...]:
        """The procedures whose latest version is an intake kind, in their declared order, then by key."""
        kinds = [(key, self.latest(key)) for key in self.versions if self.latest(key).intake]
        kinds.sort(key=lambda kind: (kind[1].intake_order is None, kind[1].intake_order or 0, kind[0]))
        return tuple(key for key, _roles in kinds)


def deployed_roles(session: Session) -> DeployedRoles:
    """The roles of every deployed version; diagram text is loaded only for content not read before."""
    rows = tuple(
        (key, version, digest)
        for key, version, digest in session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.content_hash).order_by(
                ProcessDefinition.key, ProcessDefinition.version
            )
        )
    )
    with _lock:
        index = _index_by_versions.get(rows)
        missing = {digest for _key, _version, digest in rows if digest not in _roles_by_hash}
    if index is not None:
        return index
    if missing:
        texts = session.execute(
            select(ProcessDefinition.content_hash, ProcessDefinition.bpmn_xml).where(
                ProcessDefinition.content_hash.in_(missing)
            )
        )
        read = {digest: roles_of_xml(xml.encode("utf-8")) for digest, xml in texts}
        with _lock:
            _roles_by_hash.update(read)
    with _lock:
        versions: dict[str, list[DiagramRoles]] = {}
        for key, _version, digest in rows:
            versions.setdefault(key, []).append(_roles_by_hash[digest])
        index = DeployedRoles({key: tuple(found) for key, found in versions.items()})
        if len(_index_by_versions) >= _KEPT_INDEXES:
            _index_by_versions.pop(next(iter(_index_by_versions)))
        _index_by_versions[rows] = index
    return index


def intake_kinds(session: Session) -> tuple[str, ...]:
    """The kinds of call an operator switches between on the intake page (process property intake)."""
    return deployed_roles(session).intake_kinds()
