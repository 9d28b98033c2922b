"""The engine's long-lived collaborators, built once per process and passed to every unit of work."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.bpmn import (
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_POOL_SIZE,
    DEFAULT_TIME_LIMIT,
    SandboxScriptEngine,
    SpecCache,
    StateSerializer,
)
from engine.clock import DEFAULT_TIME_ZONE, Clock
from engine.decisions import route_pair
from engine.reference import Router, script_lookups
from engine.runtime.call_grouping import CallGrouping as CallGrouping
from engine.runtime.messaging_policy import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from engine.runtime.messaging_policy import MessagingPolicy as MessagingPolicy
from engine.runtime.read_cache import ReadCache as ReadCache
from engine.runtime.workflow_cache import WorkflowCache


@dataclass(frozen=True)
class Actor:
    """Who does something: a username and the groups (roles) they hold."""

    username: str
    groups: frozenset[str] = frozenset()


SYSTEM = Actor("system", frozenset())


@dataclass
class Runtime:
    """Built by hotline.bootstrap (or a test): the clock is always given, never taken from the system here."""

    clock: Clock
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(DEFAULT_TIME_ZONE))
    specs: SpecCache = field(default_factory=SpecCache)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)
    serializer: StateSerializer = field(default_factory=StateSerializer)
    # Limits of the scripts that run in a sandbox process (engine.bpmn.sandbox.pool).
    script_time_limit: float = DEFAULT_TIME_LIMIT
    script_memory_mb: int = DEFAULT_MEMORY_LIMIT_MB
    script_processes: int = DEFAULT_POOL_SIZE
    # Where attachments' bytes live (drawn signatures are stored there as a form is completed).
    attachment_folder: Path | None = None
    # Languages, quiet hours and announcement lead time of the SMS and e-mail the cases send.
    messaging: MessagingPolicy = field(default_factory=MessagingPolicy)
    # Likely duplicates' window and the group alert's threshold.
    call_grouping: CallGrouping = field(default_factory=CallGrouping)
    # The live webhook subscriptions with the stamp they were read under (engine.messaging.webhooks).
    webhook_subscriptions: ReadCache = field(default_factory=ReadCache)

    @property
    def router(self) -> Router:
        """A category's route by the routing table (engine.decisions.routing), for the reference data."""
        return route_pair

    def __post_init__(self) -> None:
        self.script_engine = SandboxScriptEngine(
            self.clock,
            self.zone,
            script_lookups(route_pair),
            self.script_time_limit,
            memory_limit_mb=self.script_memory_mb,
            pool_size=self.script_processes,
        )
