"""Cursors for paging: opaque to the client, they carry where the last page ended (a case's opening
time and id, the keyset of the case search; a position in the tasklist)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask import abort
from flask_babel import gettext as _

from engine.db import ProcessInstance
from webforms.api.problems import problem


def _encode(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        abort(
            problem(
                400,
                _("Unknown cursor"),
                _("Send back a cursor exactly as a page gave it."),
                errors={"cursor": _("Unknown cursor")},
            )
        )
    return value


def case_cursor(last: ProcessInstance) -> str:
    return _encode({"t": last.opened_at.isoformat(), "i": last.id})


def after_case(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    value = _decode(cursor)
    try:
        opened_at = datetime.fromisoformat(value["t"])
        instance_id = int(value["i"])
    except (KeyError, TypeError, ValueError):
        opened_at, instance_id = None, 0
    if opened_at is None or opened_at.tzinfo is None or not 0 < instance_id < 2**31:
        abort(problem(400, _("Unknown cursor"), _("Send back a cursor exactly as a page gave it.")))
    return opened_at, instance_id


def task_cursor(offset: int) -> str:
    return _encode({"o": offset})


def task_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    offset = _decode(cursor).get("o")
    if not isinstance(offset, int) or not 0 <= offset < 10**9:
        abort(problem(400, _("Unknown cursor"), _("Send back a cursor exactly as a page gave it.")))
    return offset
