"""The part of FEEL a decision table's cells are written in here: simple unary tests in the input
cells and literals in the output cells, read at deploy (a cell outside it is refused with its text and
what to write instead) and evaluated in-process, without running any code from the file."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from engine.errors import HotlineError
from engine.messages import N_, say

Test = Callable[[Any], bool]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"$')
_COMPARISON = re.compile(r"^(<=|>=|<|>|=|!=)\s*(.+)$")
_RANGE = re.compile(r"^([\[\](])\s*(.+?)\s*\.\.\s*(.+?)\s*([\])[])$")
_NOT = re.compile(r"^not\s*\((.*)\)$", re.S)


class FeelUnsupported(HotlineError, ValueError):
    """A cell this engine does not read; the message quotes it and says what to write."""

    code = "feel-unsupported"
    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "feel-value": N_(
            '\'%(text)s\' is not a value this engine reads; write "text", "a","b", a number, < 5, >= 3, '
            '[1..5], true, false, not("a") or - for any value'
        ),
        "feel-not-number": N_(
            '\'%(text)s\' compares with something that is not a number; write "text", "a","b", a number, '
            '< 5, >= 3, [1..5], true, false, not("a") or - for any value'
        ),
        "feel-empty-part": N_(
            '\'%(text)s\' has an empty part; write "text", "a","b", a number, < 5, >= 3, [1..5], '
            'true, false, not("a") or - for any value'
        ),
        "feel-input-name": N_(
            "the input expression '%(text)s' is not the name of a case value; write a name such as category"
        ),
    }

    def __init__(self, code: str, text: str) -> None:
        super().__init__(say(self.TEMPLATES[code], {"text": text}), code=code, params={"text": text})


@dataclass(frozen=True)
class InputTest:
    text: str
    test: Test

    def __call__(self, value: Any) -> bool:
        return self.test(value)


def _any(_: Any) -> bool:
    return True


def _literal(text: str) -> Any:
    text = text.strip()
    string = _STRING.match(text)
    if string:
        return string.group(1).replace('\\"', '"')
    if text in ("true", "false"):
        return text == "true"
    if text == "null":
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FeelUnsupported("feel-value", text) from None
    return int(number) if number == number.to_integral_value() else float(number)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare(operator: str, bound: Any) -> Test:
    if operator in ("=", "!="):
        equal = _equals(bound)
        return equal if operator == "=" else (lambda value: not equal(value))
    limit = _number(bound)
    if limit is None:
        raise FeelUnsupported("feel-not-number", f"{operator} {bound!r}")
    checks: dict[str, Callable[[Decimal], bool]] = {
        "<": lambda n: n < limit,
        "<=": lambda n: n <= limit,
        ">": lambda n: n > limit,
        ">=": lambda n: n >= limit,
    }
    check = checks[operator]

    def test(value: Any) -> bool:
        number = _number(value)
        return number is not None and check(number)

    return test


def _equals(expected: Any) -> Test:
    expected_number = _number(expected)

    def test(value: Any) -> bool:
        if expected_number is not None and not isinstance(expected, bool):
            number = _number(value)
            return number is not None and number == expected_number
        return bool(value == expected)

    return test


def _split_list(text: str) -> list[str]:
    """Comma-separated parts, commas inside quotes kept."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts]


def _single(text: str) -> Test:
    text = text.strip()
    comparison = _COMPARISON.match(text)
    if comparison:
        return _compare(comparison.group(1), _literal(comparison.group(2)))
    span = _RANGE.match(text)
    if span:
        low, high = (
            _compare(">=" if span.group(1) == "[" else ">", _literal(span.group(2))),
            _compare("<=" if span.group(4) == "]" else "<", _literal(span.group(3))),
        )
        return lambda value: low(value) and high(value)
    return _equals(_literal(text))


def input_test(text: str | None) -> InputTest:
    """An input cell: `-` or empty for any value, else the tests it lists (any may match)."""
    stripped = (text or "").strip()
    if stripped in ("", "-"):
        return InputTest("-", _any)
    negated = _NOT.match(stripped)
    if negated:
        inner = input_test(negated.group(1))
        return InputTest(stripped, lambda value: not inner(value))
    tests = [_single(part) for part in _split_list(stripped)]
    if any(part == "" for part in _split_list(stripped)):
        raise FeelUnsupported("feel-empty-part", stripped)
    return InputTest(stripped, lambda value: any(t(value) for t in tests))


def output_value(text: str | None) -> Any:
    """An output cell: a literal (text in quotes, a number, true, false, null); empty is null."""
    stripped = (text or "").strip()
    return None if stripped == "" else _literal(stripped)


def input_name(expression: str | None) -> str:
    """An input column's expression: the name of a value of the case data."""
    name = (expression or "").strip()
    if not _NAME.match(name):
        raise FeelUnsupported("feel-input-name", name)
    return name
