"""The language of an administrator's message templates: `{name}` fills in a variable, `{{` and `}}`
are braces. Nothing else: no attribute or index access, no conversions or format specs (a
`{case:>999999999}` would build a string of a gigabyte), so a template can only say the values its kind
offers. Also: an SMS's length as the phone network counts it."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

from engine.messages import N_

PROBLEMS = {
    "unbalanced": N_(
        "A brace is not closed or not opened near “%(near)s”. Write {{ or }} for a brace itself."
    ),
    "unknown": N_("“%(name)s” is not a variable of this message. It may use: %(allowed)s."),
    "not_plain": N_("“%(field)s”: write a variable as {name} only, with nothing after its name."),
    "empty_name": N_("“{}” names no variable. Write {name}, or {{}} for braces themselves."),
    "empty_text": N_("The message has no text."),
}


@dataclass(frozen=True)
class TemplateProblem:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


def template_problems(template: str, allowed: Collection[str]) -> list[TemplateProblem]:
    """What is wrong with `template` for a kind offering the variables `allowed`; [] if nothing."""
    problems: list[TemplateProblem] = []
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return [TemplateProblem("unbalanced", {"near": _near_lone_brace(template)})]
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name == "":
            problems.append(TemplateProblem("empty_name"))
        elif spec or conversion or not name.isidentifier():
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            problems.append(TemplateProblem("not_plain", {"field": "{" + shown + "}"}))
        elif name not in allowed:
            problems.append(TemplateProblem("unknown", {"name": name, "allowed": ", ".join(sorted(allowed))}))
    return problems


def _near_lone_brace(template: str) -> str:
    """A few characters around the first brace without its pair (`{{` and `}}` being braces)."""
    at, opened = 0, None
    while at < len(template):
        pair = template[at : at + 2]
        if opened is None and pair in ("{{", "}}"):
            at += 2
            continue
        if template[at] == "{":
            if opened is not None:
                break
            opened = at
        elif template[at] == "}":
            if opened is None:
                break
            opened = None
        at += 1
    else:
        at = opened if opened is not None else len(template)
    return template[max(at - 8, 0) : at + 9]


class _Values(dict[str, str]):
    def __missing__(self, key: str) -> str:  # a variable a newer version no longer offers: left empty
        return ""


def render(template: str, values: Mapping[str, Any]) -> str:
    """`template` (checked by template_problems) filled with `values`; plain names only reach the
    mapping, never an object's attributes."""
    return Formatter().vformat(
        template, (), _Values({k: "" if v is None else str(v) for k, v in values.items()})
    )


_PERCENT = re.compile(r"%\((\w+)\)s")


def from_shipped(percent_template: str) -> str:
    """A shipped text (`%(case)s`, the catalogs' form) in the administrator's form (`{case}`)."""
    escaped = percent_template.replace("{", "{{").replace("}", "}}")
    return _PERCENT.sub(lambda m: "{" + m.group(1) + "}", escaped).replace("%%", "%")


# GSM 03.38: the basic alphabet counts one, its extension table (reached by an escape) two.
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SmsLength:
    """How the network counts a text: GSM-7 (160 in one message, 153 per part of a longer one) or UCS-2
    (70, 67 per part; any Chinese character makes the whole text UCS-2)."""

    encoding: str
    characters: int
    segments: int
    per_segment: int


def sms_length(text: str) -> SmsLength:
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        units = sum(2 if c in _GSM_EXTENDED else 1 for c in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        # UTF-16 code units: a character outside the basic plane (an emoji) takes two.
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    if units <= single:
        return SmsLength(encoding, units, 1 if units else 0, single)
    return SmsLength(encoding, units, -(-units // part), part)
