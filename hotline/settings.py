"""Settings from the environment, with defaults for the embedded single-machine setup."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.bpmn import DEFAULT_MEMORY_LIMIT_MB, DEFAULT_POOL_SIZE, DEFAULT_TIME_LIMIT
from engine.clock import DEFAULT_TIME_ZONE
from engine.people import DirectorySettings, SessionLimits
from engine.runtime import CallGrouping
from engine.supervision import DEFAULT_SHIFT_CHANGES, ShiftSettings, parse_shift_changes
from hotline.directory_settings import directory_from_env
from hotline.outbox_settings import OutboxSettings
from hotline.shipped_files import shipped_processes


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    # HOTLINE_SECRET_KEY; None: the installation's key kept in the database (hotline.signing_key).
    secret_key: str | None
    timezone: str = DEFAULT_TIME_ZONE
    processes_dir: Path = field(default_factory=shipped_processes)
    idle_minutes: int = 30
    shift_changes: str = DEFAULT_SHIFT_CHANGES
    # A session ends this long after sign-in, however active.
    session_hours: float = 12
    # The site is served over HTTPS (directly or behind a proxy): the session cookie is sent only so.
    tls: bool = False
    # How many reverse proxies in front set X-Forwarded-For/-Proto/-Host (werkzeug's ProxyFix); 0: none.
    proxies: int = 0
    # Who may read /metrics: a request with `Authorization: Bearer <token>`; empty: loopback only.
    metrics_token: str = ""
    # The REST API's rate limit per client, and where calls are counted (docs/api.md).
    api_rate_limit: str = "600 per minute"
    api_rate_storage: str = "memory://"
    # Scripts of diagrams that need a sandbox process: its time limit, memory cap and how many run.
    script_time_limit: float = DEFAULT_TIME_LIMIT
    script_memory_mb: int = DEFAULT_MEMORY_LIMIT_MB
    script_processes: int = DEFAULT_POOL_SIZE
    # How commits are made durable: "full" or "normal" (engine.db.make_engine); None: the database's usual.
    durability: str | None = None
    # Staff may sign in with the utility's LDAP directory (HOTLINE_LDAP_*); None: local accounts only.
    directory: DirectorySettings | None = None
    # SMTP, the SMS gateway, sending rates, quiet hours (hotline.outbox_settings, docs/operations.md).
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    # Likely duplicates' window, and the group alert's calls per building and window (docs/operations.md).
    duplicate_window_hours: float = 72
    group_alert_calls: int = 5
    group_alert_window_hours: float = 2

    @classmethod
    def from_env(cls, *, with_directory: bool = True) -> Settings:
        """The settings of the environment; DirectorySettingsInvalid names a bad HOTLINE_LDAP_* setting
        (`with_directory=False` leaves the directory out, for the check that reports it)."""
        home = Path(os.environ.get("HOTLINE_HOME", Path.cwd() / "instance")).resolve()
        database_url = os.environ.get("HOTLINE_DATABASE_URL") or f"sqlite:///{home / 'hotline.db'}"
        processes = os.environ.get("HOTLINE_PROCESSES")
        return cls(
            home=home,
            database_url=database_url,
            secret_key=os.environ.get("HOTLINE_SECRET_KEY") or None,
            timezone=os.environ.get("HOTLINE_TIMEZONE", DEFAULT_TIME_ZONE),
            processes_dir=Path(processes) if processes else shipped_processes(),
            idle_minutes=int(os.environ.get("HOTLINE_IDLE_MINUTES", "30")),
            shift_changes=os.environ.get("HOTLINE_SHIFT_CHANGES", DEFAULT_SHIFT_CHANGES),
            session_hours=float(os.environ.get("HOTLINE_SESSION_HOURS", "12")),
            tls=_flag(os.environ.get("HOTLINE_TLS", "")),
            proxies=int(os.environ.get("HOTLINE_PROXIES", "0")),
            metrics_token=os.environ.get("HOTLINE_METRICS_TOKEN", ""),
            api_rate_limit=os.environ.get("HOTLINE_API_RATE_LIMIT") or "600 per minute",
            api_rate_storage=os.environ.get("HOTLINE_API_RATE_STORAGE") or "memory://",
            script_time_limit=float(os.environ.get("HOTLINE_SCRIPT_TIME_LIMIT", DEFAULT_TIME_LIMIT)),
            script_memory_mb=int(os.environ.get("HOTLINE_SCRIPT_MEMORY_MB", DEFAULT_MEMORY_LIMIT_MB)),
            script_processes=int(os.environ.get("HOTLINE_SCRIPT_PROCESSES", DEFAULT_POOL_SIZE)),
            durability=os.environ.get("HOTLINE_DURABILITY") or None,
            directory=directory_from_env(os.environ) if with_directory else None,
            outbox=OutboxSettings.from_env(),
            duplicate_window_hours=float(os.environ.get("HOTLINE_DUPLICATE_WINDOW_HOURS", "72")),
            group_alert_calls=int(os.environ.get("HOTLINE_GROUP_ALERT_CALLS", "5")),
            group_alert_window_hours=float(os.environ.get("HOTLINE_GROUP_ALERT_WINDOW_HOURS", "2")),
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def attachment_folder(self) -> Path:
        """Where attachments' bytes live: the one definition, handed to the runtime by hotline.bootstrap."""
        return self.home / "attachments"

    def session_limits(self) -> SessionLimits:
        """How long a sign-in session may stay idle, and how long it may last at all."""
        return SessionLimits(
            idle=timedelta(minutes=self.idle_minutes), lifetime=timedelta(hours=self.session_hours)
        )

    def call_grouping(self) -> CallGrouping:
        return CallGrouping(
            duplicate_window=timedelta(hours=self.duplicate_window_hours),
            alert_calls=self.group_alert_calls,
            alert_window=timedelta(hours=self.group_alert_window_hours),
        )

    def shifts(self) -> ShiftSettings:
        """The shift changes (M7) in the hotline's time zone; a ValueError names a badly written time."""
        return ShiftSettings(parse_shift_changes(self.shift_changes), self.zone)


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")
