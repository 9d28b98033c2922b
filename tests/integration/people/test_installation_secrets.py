"""The session signing key kept in the database: of several processes offering their own candidate at
once, one insert wins and every process reads back the same key — on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import InstallationSecret
from engine.people import session_signing_key
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork

pytestmark = pytest.mark.real_commits


def _stored(sessions: sessionmaker[Session]) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(InstallationSecret.value)))


def test_the_first_key_stored_is_the_key_of_every_later_start(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    with UnitOfWork(sessions, runtime) as uow:
        assert session_signing_key(uow, "first") == "first"
        uow.commit()
    with UnitOfWork(sessions, runtime) as uow:
        assert session_signing_key(uow, "second") == "first"
        uow.commit()
    assert _stored(sessions) == ["first"]


def test_a_start_whose_insert_meets_an_uncommitted_one_waits_and_reads_the_winners_key(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """The exact race: the second process read no key (the first has not committed yet) and inserts its
    own; its insert waits for the first's commit, does nothing, and it reads the first one's key."""
    seen: list[str] = []

    def second_start() -> None:
        with UnitOfWork(sessions, runtime) as uow:
            seen.append(session_signing_key(uow, "second"))
            uow.commit()

    with UnitOfWork(sessions, runtime) as first:
        assert session_signing_key(first, "first") == "first"
        racer = threading.Thread(target=second_start)
        racer.start()
        time.sleep(0.5)  # the second start is now waiting on the first one's row (or write lock)
        assert seen == []
        first.commit()
    racer.join(timeout=30)
    assert seen == ["first"]
    assert _stored(sessions) == ["first"]


def test_eight_starts_at_once_end_with_one_stored_key(
    sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    starts = 8
    together = threading.Barrier(starts)
    keys: dict[int, str] = {}

    def start(number: int) -> None:
        with UnitOfWork(sessions, runtime) as uow:
            together.wait(timeout=30)
            keys[number] = session_signing_key(uow, f"candidate-{number}")
            uow.commit()

    threads = [threading.Thread(target=start, args=(number,)) for number in range(starts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(keys) == starts
    [stored] = _stored(sessions)
    assert set(keys.values()) == {stored}
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(InstallationSecret)) == 1
