"""What process owners do, as use cases: save a diagram as a draft, deploy it, deploy an older version
again, move running cases to another version. Each takes plain values and a unit of work and never
commits; InvalidDiagram or Conflict leave the caller to throw the unit away."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.db import ProcessDefinition, ProcessDraft
from engine.errors import NotFound
from engine.processes.deployment import DeployResult
from engine.processes.migration import MigrationResult, apply_migration, plan_migration
from engine.processes.versions import deploy_checked, latest_draft, redeploy, save_draft
from engine.runtime import Actor

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


def save_diagram_draft(uow: UnitOfWork, xml: bytes, author: str) -> ProcessDraft:
    """Keep a diagram as it is, problems and all, under the process key it holds."""
    return save_draft(uow.session, xml, author, clock=uow.clock, zone=uow.runtime.zone)


def deploy_diagram(
    uow: UnitOfWork, xml: bytes, author: str, comment: str, source: str, file_name: str | None = None
) -> DeployResult:
    """Deploy a diagram as the next version of its procedure, checked first (InvalidDiagram)."""
    return deploy_checked(uow.session, uow.runtime, xml, author, comment, source, file_name)


def deploy_latest_draft(uow: UnitOfWork, key: str, author: str, comment: str) -> DeployResult:
    draft = latest_draft(uow.session, key)
    if draft is None:
        raise NotFound(f"process '{key}' has no draft")
    return deploy_checked(
        uow.session, uow.runtime, draft.bpmn_xml.encode("utf-8"), author, comment, "browser"
    )


def roll_back_to(uow: UnitOfWork, key: str, version: int, author: str, comment: str) -> ProcessDefinition:
    """Deploy an older version's diagram again, as the next version."""
    return redeploy(uow.session, uow.runtime, key, version, author, comment)


def migrate_cases(
    uow: UnitOfWork,
    key: str,
    from_version: int,
    to_version: int,
    case_numbers: list[str] | None,
    actor: Actor,
    comment: str = "",
) -> MigrationResult:
    """Move the chosen running cases (all when None) to another version; cases that cannot move stay."""
    plans = plan_migration(uow.session, uow.runtime, key, from_version, to_version, case_numbers)
    return apply_migration(uow.session, uow.runtime, plans, actor, comment)
