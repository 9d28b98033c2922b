"""What process owners and administrators do with decision tables, as use cases: deploy a table as its
decision's next version. Each takes plain values and a unit of work and never commits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete

from engine.db import DecisionDraft
from engine.decisions.store import DecisionDeployed, deploy_decision, save_decision_draft

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork

SOURCES = ("file", "cli", "browser")


def deploy_decision_table(
    uow: UnitOfWork, xml: bytes, author: str, comment: str, source: str, file_name: str
) -> DecisionDeployed:
    """Check the DMN file (DecisionInvalid) and deploy it as its decision's next version; the decision's
    drafts are done with then (the editor opens the new version)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; one of {', '.join(SOURCES)}")
    result = deploy_decision(uow.session, uow.clock, xml, file_name, author, comment, source)
    uow.session.execute(delete(DecisionDraft).where(DecisionDraft.key == result.definition.key))
    return result


def save_decision_table_draft(uow: UnitOfWork, key: str, xml: bytes, author: str) -> DecisionDraft:
    """Keep the edited table as a draft of decision `key`, problems and all."""
    return save_decision_draft(uow.session, uow.clock, key, xml, author)
