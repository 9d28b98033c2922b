"""The key that signs session cookies and form tokens: HOTLINE_SECRET_KEY when set, else the
installation's own, kept in the database so that every web process — several gunicorn workers
starting at once, several machines — signs with the same one."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from engine.people import session_signing_key
from hotline.bootstrap import Services

# Where versions before the key moved into the database kept it: offered as the candidate, so the
# sessions and forms of an upgraded installation stay valid.
EARLIER_KEY_FILE = "secret_key"


def signing_key(services: Services) -> str:
    if services.settings.secret_key:
        return services.settings.secret_key
    candidate = _earlier_key(services.settings.home) or secrets.token_hex(32)
    try:
        with services.unit_of_work() as uow:
            key = session_signing_key(uow, candidate)
            uow.commit()
    except SQLAlchemyError as err:
        raise RuntimeError(
            "the session signing key cannot be read from the database; run `hotline init-db` first, or "
            f"set HOTLINE_SECRET_KEY ({type(err).__name__}: {err.__cause__ or err})"
        ) from err
    return key


def _earlier_key(home: Path) -> str | None:
    try:
        return (home / EARLIER_KEY_FILE).read_text().strip() or None
    except OSError:
        return None
