"""The one composition root: settings, clock, runtime and database sessions, built the same way for
the web application, every CLI command, the scheduler and the tests.

    services = bootstrap()                                 # settings from the environment, real time
    services = bootstrap(settings, clock=SettableClock())  # a test: its own database and clock

Nothing else chooses the clock or assembles a Runtime; entry points take a `Services` and open units
of work on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, SystemClock
from engine.db import make_engine, make_session_factory
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from hotline.message_languages import message_languages
from hotline.settings import Settings


@dataclass(frozen=True)
class Services:
    """What every entry point works with: the settings, the engine's runtime and the session factory."""

    settings: Settings
    runtime: Runtime
    sessions: sessionmaker[Session]

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.runtime, read_only=read_only)

    @property
    def database(self) -> Engine:
        bind = self.sessions.kw["bind"]
        assert isinstance(bind, Engine)
        return bind

    def close(self) -> None:
        """Close the database connections (a command's, a test's) when done."""
        self.database.dispose()


def build_runtime(settings: Settings, clock: Clock) -> Runtime:
    return Runtime(
        clock=clock,
        zone=settings.zone,
        attachment_folder=settings.attachment_folder,
        script_time_limit=settings.script_time_limit,
        script_memory_mb=settings.script_memory_mb,
        script_processes=settings.script_processes,
        messaging=settings.outbox.policy(message_languages()),
        call_grouping=settings.call_grouping(),
    )


def bootstrap(settings: Settings | None = None, *, clock: Clock | None = None) -> Services:
    """Everything wired from `settings` (default: the environment) on `clock` (default: the real time)."""
    settings = settings or Settings.from_env()
    runtime = build_runtime(settings, clock or SystemClock())
    database = make_engine(settings.database_url, durability=settings.durability)
    return Services(settings, runtime, make_session_factory(database))
