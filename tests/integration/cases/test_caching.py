"""engine.runtime.workflow_cache: recently used workflows by (case, version), published only after a commit."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.runtime.workflow_cache import WorkflowCache, put_after_commit


def test_take_returns_the_workflow_of_that_version_once() -> None:
    cache = WorkflowCache()
    workflow = object()
    cache.put(7, 3, workflow)
    assert cache.take(7, 3) is workflow
    assert cache.take(7, 3) is None  # taken, not read: a failed unit cannot leave it half-changed


def test_another_version_is_a_miss() -> None:
    cache = WorkflowCache()
    cache.put(7, 3, object())
    assert cache.take(7, 2) is None
    assert cache.take(7, 4) is None


def test_a_newer_put_replaces_the_older_version() -> None:
    cache = WorkflowCache()
    older, newer = object(), object()
    cache.put(7, 3, older)
    cache.put(7, 4, newer)
    assert cache.take(7, 3) is None
    cache.put(7, 4, newer)
    assert cache.take(7, 4) is newer


def test_least_recently_used_cases_are_dropped_past_capacity() -> None:
    cache = WorkflowCache(capacity=2)
    one, two, three = object(), object(), object()
    cache.put(1, 1, one)
    cache.put(2, 1, two)
    cache.put(1, 1, one)  # used again: now the most recent
    cache.put(3, 1, three)
    assert cache.take(2, 1) is None
    assert cache.take(1, 1) is one
    assert cache.take(3, 1) is three


def test_clear_empties_the_cache() -> None:
    cache = WorkflowCache()
    cache.put(1, 1, object())
    cache.clear()
    assert cache.take(1, 1) is None


def test_puts_are_published_only_after_commit(sessions: sessionmaker[Session]) -> None:
    cache = WorkflowCache()
    workflow = object()
    with sessions.begin() as session:
        put_after_commit(session, cache, 1, 2, workflow)
        assert cache.take(1, 2) is None  # not before the commit
    assert cache.take(1, 2) is workflow


def test_puts_are_dropped_when_the_transaction_rolls_back(sessions: sessionmaker[Session]) -> None:
    cache = WorkflowCache()
    with pytest.raises(RuntimeError), sessions.begin() as session:
        put_after_commit(session, cache, 1, 2, object())
        raise RuntimeError("the unit of work failed")
    assert cache.take(1, 2) is None
    # and they do not linger into the session's next transaction
    session = sessions()
    with session.begin():
        pass
    session.close()
    assert cache.take(1, 2) is None


def test_a_rolled_back_transaction_does_not_publish_into_the_next_one(
    sessions: sessionmaker[Session],
) -> None:
    cache = WorkflowCache()
    session = sessions()
    with pytest.raises(RuntimeError), session.begin():
        put_after_commit(session, cache, 1, 2, object())
        raise RuntimeError("failed")
    with session.begin():
        put_after_commit(session, cache, 5, 1, "kept")
    session.close()
    assert cache.take(1, 2) is None
    assert cache.take(5, 1) == "kept"
