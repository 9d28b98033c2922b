"""What a JSON request body may hold, for the API and the pages' own JSON calls alike.

The standard decoder accepts two things no view can use: nesting deeper than Python's recursion limit
(it raises RecursionError, not a decoding error) and a lone surrogate written as an escape ("\\ud800"),
a text that cannot be encoded to UTF-8 for the database. Both are refused here as a body that is not
JSON, so the request answers 400 instead of failing later in the view.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def load_json(text: str | bytes) -> Any:
    """The body's value; json.JSONDecodeError (a ValueError) where it cannot be used."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise json.JSONDecodeError("not UTF-8", "", err.start) from err
    try:
        value = json.loads(text)
    except RecursionError as err:
        raise json.JSONDecodeError("nested too deeply", text, 0) from err
    if _holds_lone_surrogate(value):
        raise json.JSONDecodeError("a lone surrogate escape", text, 0)
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    # A loop over a stack of containers: the value may be nested as deeply as the decoder allows.
    waiting = [value]
    while waiting:
        item = waiting.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            waiting.extend(item.keys())
            waiting.extend(item.values())
        elif isinstance(item, list):
            waiting.extend(item)
    return False


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON with load_json's checks on what requests bring (request.get_json)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return load_json(s)
