"""engine.json_text: the JSON text orjson writes reads back to exactly the values `json` gives (types
included), and where orjson would write or read a value differently the standard library does it."""

from __future__ import annotations

import json
import math
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum, IntEnum
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import json_text

_ID = UUID("12345678-1234-5678-1234-567812345678")


class Colour(Enum):
    RED = "red"


class Level(IntEnum):
    HIGH = 3


class Name(str):
    pass


Pair = namedtuple("Pair", "left right")


@dataclass
class Point:
    x: int


def _default(value: Any) -> Any:
    """Like SpiffWorkflow's encoder: some objects as tagged dicts, sets as lists, the rest refused."""
    if isinstance(value, datetime):
        return {"value": value.isoformat(), "typename": "datetime"}
    if isinstance(value, UUID):
        return {"value": str(value), "typename": "UUID"}
    if isinstance(value, set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0; NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _written_as_json_writes(value: Any, default: Any = _default) -> None:
    text = json_text.dumps(value, default)
    assert same(json.loads(text), json.loads(json.dumps(value, default=default)))
    assert same(json_text.loads(text), json.loads(text))


def test_plain_documents_are_compact_utf8_that_json_reads_the_same() -> None:
    value = {"地址": "幸福路 1 号", "n": [1, 2.5, -0.0, None, True, 2**63, -(2**63)], "t": (1, "二")}
    text = json_text.dumps(value)
    assert (
        text
        == '{"地址":"幸福路 1 号","n":[1,2.5,-0.0,null,true,9223372036854775808,-9223372036854775808],"t":[1,"二"]}'
    )
    _written_as_json_writes(value)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"at": datetime(2026, 11, 23, 9, 0, tzinfo=UTC)}, id="datetime to default"),
        pytest.param({"ids": {1}}, id="set to default"),
        pytest.param({"id": _ID}, id="UUID to default, not orjson's string"),
        pytest.param(
            {"x": float("nan"), "y": [float("inf"), -float("inf")]}, id="NaN and Infinity, not null"
        ),
        pytest.param({"big": 2**64, "small": -(2**63) - 1}, id="integers beyond 64 bits"),
        pytest.param({"level": Level.HIGH}, id="int enum"),
        pytest.param({"name": Name("张伟")}, id="str subclass"),
        pytest.param({"pair": Pair(1, 2)}, id="namedtuple"),
        pytest.param({1: "a", 2.5: "b", 1e16: "c", False: "d", None: "e"}, id="non-str keys"),
        pytest.param({"lone": "\ud800"}, id="lone surrogate"),
    ],
)
def test_what_orjson_would_write_differently_is_written_as_json_writes_it(value: Any) -> None:
    _written_as_json_writes(value)


def test_a_document_deeper_than_orjson_goes_is_written_by_json() -> None:
    value: Any = 1
    for _ in range(300):
        value = [value]
    assert json_text.dumps(value) == json.dumps(value)


@pytest.mark.parametrize(
    "value",
    [
        Decimal("1.5"),
        date(2026, 11, 23),
        Point(1),
        frozenset({1}),
        b"b",
        datetime(2026, 1, 1),
        Colour.RED,
        _ID,
        object(),
    ],
)
def test_what_json_refuses_is_refused_the_same_way(value: Any) -> None:
    with pytest.raises(TypeError) as by_json:
        json.dumps({"v": value})
    with pytest.raises(TypeError) as by_json_text:
        json_text.dumps({"v": value})
    assert str(by_json_text.value) == str(by_json.value)


def test_a_circular_reference_fails_as_with_json() -> None:
    looped: dict[str, Any] = {}
    looped["self"] = looped
    with pytest.raises(ValueError, match="Circular reference"):
        json_text.dumps(looped)


def test_an_error_of_default_reaches_the_caller() -> None:
    def broken(_value: Any) -> Any:
        raise RuntimeError("broken converter")

    with pytest.raises(RuntimeError, match="broken converter"):
        json_text.dumps({"v": object()}, broken)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"name": "\\u5f20\\u4f1f", "n": [1, 2.5]}', id="json's own text: escapes, spaces"),
        pytest.param("[NaN, Infinity, -Infinity]", id="NaN and Infinity"),
        pytest.param(
            "[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]", id="big ints"
        ),
        pytest.param("[18446744073709551615, -9223372036854775808, 1234567890123456789.5]", id="64-bit ints"),
        pytest.param("[1E400, -1e400]", id="beyond a float"),
        pytest.param('["\\ud800"]', id="escaped lone surrogate"),
        pytest.param('{"a": 1, "a": 2}', id="duplicate keys"),
    ],
)
def test_text_reads_to_what_json_reads(text: str) -> None:
    assert same(json_text.loads(text), json.loads(text))
    assert same(json_text.loads(text.encode()), json.loads(text))


def test_a_str_with_a_lone_surrogate_reads_as_with_json() -> None:
    assert json_text.loads('"\ud800"') == "\ud800"


def test_invalid_text_fails_as_with_json() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_text.loads("[1,]")


_KEYS = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(),
    st.uuids(),
    st.datetimes(timezones=st.just(UTC)),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(_KEYS, inner, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_VALUES)
def test_any_value_reads_back_as_json_would_write_and_read_it(value: Any) -> None:
    _written_as_json_writes(value)
