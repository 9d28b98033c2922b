"""Knowledge base entries: written from a form, each save a new version with its author and time, the
words they are found by kept beside them, reviewed by their owner every few months. Entries are
retired, never deleted: a consultation may name the entry it was answered from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.db import Category, KnowledgeEntry, KnowledgeTerm, KnowledgeVersion, User
from engine.errors import Conflict, NotFound
from engine.knowledge.terms import weighted_terms

TITLE_LIMIT = 200
ANSWER_LIMIT = 4000
KEYWORDS_LIMIT = 500
NOTE_LIMIT = 500
# Words of the title and the keywords tell more about an entry than words of its answer.
TITLE_WEIGHT, KEYWORD_WEIGHT, ANSWER_WEIGHT = 3, 3, 1
# An entry not reviewed for this long is listed as due for review.
REVIEW_AFTER = timedelta(days=182)


@dataclass(frozen=True)
class EntryValues:
    title: str
    answer: str
    category_code: str
    keywords: str
    valid_from: date | None
    valid_until: date | None
    owner: str
    active: bool


def _text(raw: Any, multiline: bool = False) -> str:
    text = str(raw if raw is not None else "")
    return text.strip() if multiline else " ".join(text.split())


def _date(raw: Any, key: str, errors: dict[str, FieldError]) -> date | None:
    text = _text(raw)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[key] = FieldError("not_date")
        return None


def entry_values(
    session: Session, submitted: Mapping[str, Any], author: str
) -> tuple[EntryValues, dict[str, FieldError]]:
    """The form's values checked: what is wrong, field by field, so nothing typed is lost."""
    errors: dict[str, FieldError] = {}
    texts = {
        "title": (_text(submitted.get("title")), TITLE_LIMIT, False),
        "answer": (_text(submitted.get("answer"), multiline=True), ANSWER_LIMIT, True),
        "keywords": (_text(submitted.get("keywords")), KEYWORDS_LIMIT, False),
    }
    for key, (value, limit, multiline) in texts.items():
        problem = control_character_error(value, multiline)
        if problem is not None:
            errors[key] = problem
        elif len(value) > limit:
            errors[key] = FieldError("max_length", {"max": limit})
    for key in ("title", "answer"):
        if not texts[key][0] and key not in errors:
            errors[key] = FieldError("required")
    # A choice with a control character is no option, and is not looked up: PostgreSQL cannot compare
    # a text holding NUL.
    category = _text(submitted.get("category_code"))
    if category and (control_character_error(category) or session.get(Category, category) is None):
        errors["category_code"] = FieldError("not_option")
    owner = _text(submitted.get("owner")) or author
    if control_character_error(owner) or (
        session.scalar(select(User.id).where(User.username == owner, User.active.is_(True))) is None
    ):
        errors["owner"] = FieldError("not_option")
    valid_from = _date(submitted.get("valid_from"), "valid_from", errors)
    valid_until = _date(submitted.get("valid_until"), "valid_until", errors)
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = FieldError("before_other", {"other": "生效日期", "other_en": "Valid from"})
    active = str(submitted.get("active", "1")) in ("1", "on", "true", "True")
    values = EntryValues(
        texts["title"][0],
        texts["answer"][0],
        category,
        texts["keywords"][0],
        valid_from,
        valid_until,
        owner,
        active,
    )
    return values, errors


def _index(session: Session, entry_id: int, values: EntryValues) -> None:
    session.execute(delete(KnowledgeTerm).where(KnowledgeTerm.entry_id == entry_id))
    weights = weighted_terms(
        (values.title, TITLE_WEIGHT), (values.keywords, KEYWORD_WEIGHT), (values.answer, ANSWER_WEIGHT)
    )
    if weights:
        session.execute(
            insert(KnowledgeTerm),
            [{"entry_id": entry_id, "term": term, "weight": weight} for term, weight in weights.items()],
        )


def _record_version(session: Session, entry: KnowledgeEntry, author: str, now: datetime, note: str) -> None:
    session.add(
        KnowledgeVersion(
            entry_id=entry.id,
            version=entry.version,
            title=entry.title,
            answer=entry.answer,
            category_code=entry.category_code,
            keywords=entry.keywords,
            valid_from=entry.valid_from,
            valid_until=entry.valid_until,
            owner=entry.owner,
            active=entry.active,
            author=author,
            saved_at=now,
            note=note[:NOTE_LIMIT],
        )
    )


def _apply(entry: KnowledgeEntry, values: EntryValues) -> None:
    for name in EntryValues.__dataclass_fields__:
        setattr(entry, name, getattr(values, name))


def add_entry(session: Session, values: EntryValues, author: str, now: datetime) -> KnowledgeEntry:
    """A new entry, version 1, reviewed now by its author."""
    entry = KnowledgeEntry(version=1, created_at=now, updated_at=now, reviewed_at=now, reviewed_by=author)
    _apply(entry, values)
    session.add(entry)
    session.flush()
    _record_version(session, entry, author, now, "")
    _index(session, entry.id, values)
    return entry


def entry_for_update(session: Session, entry_id: int, expected_version: int | None) -> KnowledgeEntry:
    entry = session.get(KnowledgeEntry, entry_id, with_for_update=True)
    if entry is None:
        raise NotFound(f"knowledge entry {entry_id}")
    if expected_version is not None and entry.version != expected_version:
        # Two editors of one entry: the later save would silently undo the earlier one.
        raise Conflict(f"knowledge entry {entry_id} changed meanwhile", "knowledge_changed", entry=entry_id)
    return entry


def revise_entry(
    session: Session,
    entry_id: int,
    values: EntryValues,
    author: str,
    now: datetime,
    expected_version: int | None,
    note: str = "",
) -> KnowledgeEntry:
    """A new version of the entry; saving counts as reviewing it."""
    entry = entry_for_update(session, entry_id, expected_version)
    _apply(entry, values)
    entry.version += 1
    entry.updated_at = entry.reviewed_at = now
    entry.reviewed_by = author
    session.flush()
    _record_version(session, entry, author, now, note)
    _index(session, entry.id, values)
    return entry


def mark_reviewed(session: Session, entry_id: int, reviewer: str, now: datetime) -> KnowledgeEntry:
    """The owner read the entry again and found it still right: no new version, the review date moves."""
    entry = entry_for_update(session, entry_id, None)
    entry.reviewed_at = now
    entry.reviewed_by = reviewer
    return entry


def review_due(entry: KnowledgeEntry, now: datetime) -> bool:
    return entry.active and entry.reviewed_at + REVIEW_AFTER <= now


def valid_on(entry: KnowledgeEntry, day: date) -> bool:
    return (
        entry.active
        and (entry.valid_from is None or entry.valid_from <= day)
        and (entry.valid_until is None or day <= entry.valid_until)
    )


def entry_versions(session: Session, entry_id: int) -> list[KnowledgeVersion]:
    return list(
        session.scalars(
            select(KnowledgeVersion)
            .where(KnowledgeVersion.entry_id == entry_id)
            .order_by(KnowledgeVersion.version.desc())
        )
    )


def entries_due_for_review(session: Session, now: datetime, owner: str | None = None) -> list[KnowledgeEntry]:
    query = (
        select(KnowledgeEntry)
        .where(KnowledgeEntry.active.is_(True), KnowledgeEntry.reviewed_at <= now - REVIEW_AFTER)
        .order_by(KnowledgeEntry.reviewed_at, KnowledgeEntry.id)
    )
    if owner is not None:
        query = query.where(KnowledgeEntry.owner == owner)
    return list(session.scalars(query))
