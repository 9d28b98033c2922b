"""Settings from the environment, with defaults for the embedded single-machine setup."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.supervision.handover import ShiftSettings
from engine.supervision.shifts import DEFAULT_SHIFT_CHANGES, parse_shift_changes

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    timezone: str
    secret_key: str
    processes_dir: Path
    idle_minutes: int = 30
    shift_changes: str = DEFAULT_SHIFT_CHANGES

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(os.environ.get("HOTLINE_HOME", Path.cwd() / "instance")).resolve()
        database_url = os.environ.get("HOTLINE_DATABASE_URL") or f"sqlite:///{home / 'hotline.db'}"
        return cls(
            home=home,
            database_url=database_url,
            timezone=os.environ.get("HOTLINE_TIMEZONE", "Asia/Shanghai"),
            secret_key=os.environ.get("HOTLINE_SECRET_KEY") or _stored_secret(home),
            processes_dir=Path(os.environ.get("HOTLINE_PROCESSES", PROJECT_ROOT / "processes")),
            idle_minutes=int(os.environ.get("HOTLINE_IDLE_MINUTES", "30")),
            shift_changes=os.environ.get("HOTLINE_SHIFT_CHANGES", DEFAULT_SHIFT_CHANGES),
        )

    @property
    def attachment_folder(self) -> Path:
        """Where attachments' bytes live (webforms, the scheduler's sweep, `hotline attachments`)."""
        return self.home / "attachments"

    def shifts(self) -> ShiftSettings:
        """The shift changes (M7) in the hotline's time zone; a ValueError names a badly written time."""
        return ShiftSettings(parse_shift_changes(self.shift_changes), ZoneInfo(self.timezone))


def _stored_secret(home: Path) -> str:
    """A per-installation secret, made once, so sessions survive restarts without configuration."""
    path = home / "secret_key"
    if path.exists():
        return path.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
