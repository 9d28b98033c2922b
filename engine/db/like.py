"""LIKE patterns from what a person typed: `%` and `_` are characters there, not wildcards."""

from __future__ import annotations

ESCAPE = "\\"


def _escaped(text: str) -> str:
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def containing(text: str) -> str:
    return f"%{_escaped(text)}%"


def starting_with(text: str) -> str:
    return f"{_escaped(text)}%"
