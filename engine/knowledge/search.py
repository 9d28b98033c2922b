"""Finding answers: the entries whose words match the question best, and the outages going on now
(which answer half the calls of a cold morning by themselves).

Each entry's words are kept in `knowledge_term` with a weight; a search splits the question the same
way and ranks entries by the weight of the words they share with it, a word found in few entries
counting more than one found in many (idf). The same statements run on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases import Outage, recent_outages
from engine.db import Category, KnowledgeEntry, KnowledgeTerm
from engine.knowledge.entries import valid_on
from engine.knowledge.terms import terms_of

# An entry of the category the operator chose ranks above an equal match of another category.
SAME_CATEGORY_BOOST = 1.5
# The words a caller uses for each service, so "暖气不热" finds the heating outage of their building.
SERVICE_WORDS = {
    "heating": frozenset({"暖气", "供热", "停热", "采暖", "供暖", "热", "heating", "heat"}),
    "water": frozenset({"水", "停水", "供水", "自来水", "用水", "水压", "water"}),
}
MAX_QUESTION_LENGTH = 2000


@dataclass(frozen=True)
class Found:
    entry: KnowledgeEntry
    score: float


def _ranked_ids(session: Session, words: list[str]) -> dict[int, float]:
    if not words:
        return {}
    unique = sorted(set(words))
    total = session.scalar(select(func.count()).select_from(KnowledgeEntry)) or 1
    rows = session.execute(
        select(KnowledgeTerm.entry_id, KnowledgeTerm.term, KnowledgeTerm.weight).where(
            KnowledgeTerm.term.in_(unique)
        )
    ).all()
    entries_with: dict[str, int] = defaultdict(int)
    for _entry_id, term, _weight in rows:
        entries_with[term] += 1
    scores: dict[int, float] = defaultdict(float)
    for entry_id, term, weight in rows:
        scores[entry_id] += weight * (1.0 + math.log(total / entries_with[term]))
    return scores


def search_entries(
    session: Session,
    question: str,
    category: str,
    today: date,
    limit: int = 10,
    include_invalid: bool = False,
) -> list[Found]:
    """Entries matching the question, best first; with no question, the category's entries by title.
    Only entries valid today unless `include_invalid` (the knowledge base's own list)."""
    words = terms_of(question[:MAX_QUESTION_LENGTH])
    scores = _ranked_ids(session, words)
    if scores:
        entries = session.scalars(select(KnowledgeEntry).where(KnowledgeEntry.id.in_(scores))).all()
    elif category and not words:
        entries = session.scalars(
            select(KnowledgeEntry)
            .where(KnowledgeEntry.category_code == category)
            .order_by(KnowledgeEntry.title)
        ).all()
    else:
        return []
    found = []
    for entry in entries:
        if not include_invalid and not valid_on(entry, today):
            continue
        score = scores.get(entry.id, 1.0)
        if category and entry.category_code == category:
            score *= SAME_CATEGORY_BOOST
        found.append(Found(entry, score))
    found.sort(key=lambda f: (-f.score, f.entry.title, f.entry.id))
    return found[:limit]


def _area_words(outage: Outage) -> set[str]:
    n = outage.latest
    return set(terms_of(" ".join((n.district, n.building, n.unit, n.cause))))


def current_outages_for(session: Session, question: str, category: str, limit: int = 5) -> list[Outage]:
    """The outages going on now that the question (or the chosen category's service) is about, those of
    the caller's area first: an outage answers "why is there no heating in building 3" before any entry."""
    current = [o for o in recent_outages(session) if o.is_current]
    if not current:
        return []
    words = set(terms_of(question[:MAX_QUESTION_LENGTH]))
    # Before anything is typed, the chosen category's service (heating, water) says what the call is about.
    domain = (
        session.scalar(select(Category.domain).where(Category.code == category))
        if category and not words
        else None
    )
    ranked = []
    for outage in current:
        service = outage.latest.service
        area = len(words & _area_words(outage))
        about_service = bool(words & SERVICE_WORDS.get(service, frozenset())) or domain == service
        if area or about_service:
            ranked.append((-area, not about_service, outage.case_number, outage))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:limit]]
