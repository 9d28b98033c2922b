"""What the web application needs to know besides the engine: given by whoever builds the app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.people import DirectorySettings


@dataclass(frozen=True)
class WebConfig:
    # The Flask instance folder: compiled translations are written there.
    home: Path
    secret_key: str
    # A signed-in session without a request for this long signs out.
    idle_minutes: int = 30
    # A session ends this long after sign-in, however active (the absolute lifetime).
    session_hours: float = 12
    # Served over HTTPS: the session cookie is marked Secure (and HSTS is sent).
    tls: bool = False
    # Reverse proxies in front whose X-Forwarded-For/-Proto/-Host are trusted (werkzeug's ProxyFix).
    proxies: int = 0
    # Who may read /metrics: a request with this bearer token; empty: requests from this machine only.
    metrics_token: str = ""
    # Staff may sign in with the utility's LDAP directory; None: local accounts only.
    directory: DirectorySettings | None = None
    # What an SMS gateway's delivery-receipt callback must carry (bearer or ?token=); empty: refused.
    receipt_token: str = ""
    # API calls a client may make (Flask-Limiter's notation), and where they are counted: memory://
    # counts in each web process; redis://… or memcached://… counts once for all of them.
    api_rate_limit: str = "600 per minute"
    api_rate_storage: str = "memory://"
