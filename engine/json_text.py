"""JSON text as the standard library's `json` reads and writes it, made by orjson where orjson gives the
same values (it is several times faster), by `json` itself where it would not.

`dumps(value, default)` is `json.dumps(value, default=default)` but compact and UTF-8 (no spaces after
separators, no \\u escapes): the same JSON document, so `json.loads` and `loads` read either back to the
same values. `loads(text)` is `json.loads(text)`. Nothing that compares JSON text byte for byte (content
hashes, signatures) may use `dumps`: its text is not the standard library's text.

Where orjson would write or read a value differently from `json`, the whole document goes to `json`:
- orjson writes NaN and ±Infinity as null and a `uuid.UUID` or an `enum.Enum` as its value, where
  `json` writes NaN/Infinity or hands the object to `default`: such a document is written by `json`;
- orjson refuses integers beyond 64 bits, non-str dict keys (`json` writes an int 1 as "1", a float
  key in its repr), strings with lone surrogates and documents nested deeper than 254: `json` writes
  those (non-str keys are not let through OPT_NON_STR_KEYS: a float key's text differs, a datetime
  key would be written where `json` refuses it);
- orjson reads NaN/Infinity and numbers beyond a float's range as errors, and integers beyond 64 bits
  as floats: such text is read by `json`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Any
from uuid import UUID

import orjson

Default = Callable[[Any], Any]

# Every object that is not a JSON type itself goes to `default`, as with `json`: datetimes,
# dataclasses and subclasses of str, int, dict and list (which `json` writes as their base type,
# while `default` may not know them: `_same_as_json` then sends the document to `json`).
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
)
# Objects orjson writes itself, differently from `json` (which hands them to `default`), and the
# subclasses of JSON types, which `json` writes as their base type without asking `default`.
_WRITTEN_DIFFERENTLY = (UUID, Enum, orjson.Fragment, str, int, float, dict, list, tuple)
# An integer literal of 19 digits or more may be beyond 64 bits, which orjson reads as a float.
_DIGITS_AS_ZEROS = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * 19
_INFINITY = float("inf")


def dumps(value: Any, default: Default | None = None) -> str:
    """The JSON text of `value`, `default` turning other objects into JSON values as for `json.dumps`."""
    try:
        text = orjson.dumps(value, default=default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(value, default=default)
    # orjson wrote it without complaint; the cycles and the depth orjson refuses are ruled out by then.
    if not _same_as_json(value, default):
        return json.dumps(value, default=default)
    return text.decode()


def loads(text: str | bytes) -> Any:
    """The value of a JSON text, exactly as `json.loads` reads it."""
    try:
        data = text.encode() if isinstance(text, str) else text
    except UnicodeEncodeError:  # a lone surrogate, which `json` reads and orjson does not
        return json.loads(text)
    if _LONG_DIGIT_RUN in data.translate(_DIGITS_AS_ZEROS):
        return json.loads(text)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _same_as_json(value: Any, default: Default | None) -> bool:
    """Whether orjson, having written `value`, wrote the JSON values `json` writes: no non-finite float,
    no object orjson writes itself though `json` hands it to `default` or writes it as its base type."""
    pending = [value]
    for item in pending:  # the list grows by the containers' items as they are met
        kind = type(item)
        if kind is str or kind is int or kind is bool or item is None:
            continue
        if kind is dict:
            pending += item.values()
        elif kind is list or kind is tuple:
            pending += item
        elif kind is float:
            if not -_INFINITY < item < _INFINITY:  # NaN too: it compares false with everything
                return False
        elif default is None or isinstance(item, _WRITTEN_DIFFERENTLY):
            return False
        else:
            try:
                pending.append(default(item))
            except TypeError:
                return False
    return True
