"""Names for the data a diagram's scripts set, which no form field labels (process properties).

`label:<variable>` = `中文|English` names a variable; `values:<variable>` =
`code:中文|English;code2:中文|English` names the values of an enum-like one (`priority`: `urgent`,
`normal`). The pages show these names; a variable no form field and no property names stays off the
staff's case data panels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.errors import HotlineError

LABEL_PREFIX = "label:"
VALUES_PREFIX = "values:"


class LabelError(HotlineError, ValueError):
    """A malformed label property: the message says what it should look like."""

    code = "variable-label"


@dataclass(frozen=True)
class VariableLabel:
    name: str
    name_en: str = ""
    values: dict[str, tuple[str, str]] = field(default_factory=dict)

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    def value_name(self, value: object, language: str) -> str | None:
        names = self.values.get(str(value)) if isinstance(value, str) else None
        if names is None:
            return None
        return names[1] if language == "en" and names[1] else names[0]


def _names(text: str, what: str) -> tuple[str, str]:
    chinese, _sep, english = text.partition("|")
    if not chinese.strip():
        raise LabelError(f"{what} must read '中文|English', got {text!r}")
    return chinese.strip(), english.strip()


def _values(variable: str, text: str) -> dict[str, tuple[str, str]]:
    values: dict[str, tuple[str, str]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        code, sep, names = part.partition(":")
        if not sep or not code.strip():
            raise LabelError(
                f"values:{variable} must read 'code:中文|English;code2:中文|English', got {part!r}"
            )
        values[code.strip()] = _names(names, f"values:{variable} ({code.strip()})")
    if not values:
        raise LabelError(f"values:{variable} names no value; write 'code:中文|English;…'")
    return values


def _variable(prop_name: str, prefix: str) -> str:
    variable = prop_name[len(prefix) :].strip()
    if not variable.isidentifier():
        raise LabelError(
            f"property '{prop_name}' must name a variable after '{prefix}' (e.g. {prefix}priority)"
        )
    return variable


def read_variable_labels(properties: Iterable[tuple[str, str]]) -> tuple[dict[str, VariableLabel], list[str]]:
    """The labels among a process's properties (name, value), and what is wrong with malformed ones."""
    names: dict[str, tuple[str, str]] = {}
    values: dict[str, dict[str, tuple[str, str]]] = {}
    problems: list[str] = []
    for prop_name, text in properties:
        try:
            if prop_name.startswith(LABEL_PREFIX):
                variable = _variable(prop_name, LABEL_PREFIX)
                names[variable] = _names(text, prop_name)
            elif prop_name.startswith(VALUES_PREFIX):
                variable = _variable(prop_name, VALUES_PREFIX)
                values[variable] = _values(variable, text)
        except LabelError as err:
            problems.append(str(err))
    for variable in sorted(set(values) - set(names)):
        problems.append(f"values:{variable} needs a label:{variable} property naming the variable itself")
    labels = {v: VariableLabel(n[0], n[1], values.get(v, {})) for v, n in names.items()}
    return labels, problems
