"""What a statement's result says beyond its rows."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rows_matched(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE matched.

    `Session.execute` is typed as returning a plain `Result`; for these statements it is a `CursorResult`,
    which carries the count."""
    return cast("CursorResult[Any]", result).rowcount
