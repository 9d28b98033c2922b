"""The unit of work: one transaction per command (a web request, a CLI command, a timer job).

It is the only thing in Hotline Flow that commits. Use cases take plain values and a unit of work,
do their reads and writes through `uow.session`, and the caller decides: `uow.commit()` keeps
everything, leaving the `with` block without it throws everything away.

    with UnitOfWork(sessions, runtime) as uow:
        instance = start_case(uow, "complaint", actor, values)
        uow.commit()

A read-only unit (`read_only=True`) never takes SQLite's write lock and refuses to commit, so a page
that only reads cannot queue behind writers or write by accident. A unit that must not wait
(`wait=False`, for bookkeeping that can be done on the next request) raises WriteLockBusy at once
when SQLite's write lock is held instead of queueing behind the writer.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock
from engine.db import NO_WAIT_OPTION, READ_ONLY_OPTION
from engine.errors import HotlineError
from engine.runtime import Runtime


class UnitOfWorkError(HotlineError, RuntimeError):
    """A unit of work used the wrong way: committing a read-only unit, or using one outside `with`."""

    code = "unit-of-work-misuse"


class WriteLockBusy(HotlineError):
    """A unit opened with `wait=False` found the write lock held by another connection; nothing was done."""

    code = "write-lock-busy"


class UnitOfWork:
    def __init__(
        self, sessions: sessionmaker[Session], runtime: Runtime, *, read_only: bool = False, wait: bool = True
    ) -> None:
        self._sessions = sessions
        self.runtime = runtime
        self.read_only = read_only
        self.wait = wait
        self._session: Session | None = None
        self.committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise UnitOfWorkError("a unit of work's session is open only inside its `with` block")
        return self._session

    @property
    def clock(self) -> Clock:
        return self.runtime.clock

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
        self.committed = False
        if self.read_only:
            self._session.connection(execution_options={READ_ONLY_OPTION: True})
        elif not self.wait:
            try:
                self._session.connection(execution_options={NO_WAIT_OPTION: True})
            except OperationalError as busy:
                session, self._session = self._session, None
                session.close()
                raise WriteLockBusy("another connection holds the write lock") from busy
        return self

    def commit(self) -> None:
        if self.read_only:
            raise UnitOfWorkError("a read-only unit of work cannot commit")
        self.session.commit()
        self.committed = True

    def rollback(self) -> None:
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if session.in_transaction():
                session.rollback()
        finally:
            session.close()
