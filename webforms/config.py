"""What the web application needs to know besides the engine: given by whoever builds the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WebConfig:
    # The Flask instance folder: compiled translations are written there.
    home: Path
    secret_key: str
    # A signed-in session without a request for this long signs out.
    idle_minutes: int = 30
