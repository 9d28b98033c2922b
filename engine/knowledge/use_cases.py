"""The knowledge base's use cases, as the pages and the command line call them: a form saved as a new
entry or a new version, and a review. FormInvalid when the form has errors, keeping what was typed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.db import KnowledgeEntry
from engine.errors import FormInvalid
from engine.knowledge.entries import add_entry, entry_values, mark_reviewed, revise_entry

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork


def add_entry_form(uow: UnitOfWork, author: str, submitted: Mapping[str, Any]) -> KnowledgeEntry:
    values, errors = entry_values(uow.session, submitted, author)
    if errors:
        raise FormInvalid(errors, submitted)
    return add_entry(uow.session, values, author, uow.clock.now())


def revise_entry_form(
    uow: UnitOfWork, author: str, entry_id: int, submitted: Mapping[str, Any], expected_version: int | None
) -> KnowledgeEntry:
    values, errors = entry_values(uow.session, submitted, author)
    if errors:
        raise FormInvalid(errors, submitted)
    note = str(submitted.get("note") or "").strip()
    return revise_entry(uow.session, entry_id, values, author, uow.clock.now(), expected_version, note)


def review_entry(uow: UnitOfWork, reviewer: str, entry_id: int) -> KnowledgeEntry:
    return mark_reviewed(uow.session, entry_id, reviewer, uow.clock.now())
