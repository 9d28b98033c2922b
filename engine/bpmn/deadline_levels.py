"""Graded deadlines (黄灯/红灯): the warning and escalation levels a user task declares beside its
deadline timer (docs/modelling.md, *Graded deadlines*).

Two user-task properties, each a comma-separated list of `WHEN[:RECIPIENTS[:CHANNEL]]`:
- `warnAt`: before the deadline, `WHEN` a share of the task's time in per cent (`50%`), counted in
  working time from the task's creation to its deadline;
- `escalate`: after the deadline, `WHEN` working hours past it (`4h`).
RECIPIENTS are joined by `+`: `assignee` (whoever holds the task, else its groups), `department_head`
(the heads of the task's department), `supervisors` (the department's supervisors, else all), or any
staff role. CHANNEL is `app` (in-app only) or `message` (in-app, and SMS or e-mail through the outbox
as each person prefers). Defaults: warnings to the assignee in the app, escalations to the supervisors
by message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from engine.errors import HotlineError

WARN_AT = "warnAt"
ESCALATE = "escalate"
CHANNELS = ("app", "message")
SPECIAL_RECIPIENTS = ("assignee", "department_head", "supervisors")
_PERCENT = re.compile(r"^([0-9]{1,2})%$")
_HOURS = re.compile(r"^([0-9]{1,3})h$")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


@dataclass(frozen=True)
class DeadlineLevel:
    """One level: a warning at `share` of the time, or an escalation `after` the deadline."""

    number: int
    kind: str  # "warning" or "escalation"
    share: float = 0.0
    after: timedelta = timedelta()
    recipients: tuple[str, ...] = ()
    channel: str = "app"

    @property
    def label(self) -> str:
        if self.kind == "warning":
            return f"{round(self.share * 100)}%"
        return f"+{int(self.after.total_seconds() // 3600)}h"


class LevelError(HotlineError, ValueError):
    """A malformed warnAt or escalate property, in words naming the property and the expected form."""


def _recipients(text: str, known_roles: frozenset[str] | None, prop: str, item: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split("+") if name.strip())
    for name in names:
        known = _NAME.match(name) if known_roles is None else name in known_roles
        if name not in SPECIAL_RECIPIENTS and not known:
            raise LevelError(
                f"{prop} '{item}': unknown recipient '{name}'; use assignee, department_head, "
                "supervisors or a staff role, joined by +"
            )
    return names


def _items(prop: str, value: str) -> list[tuple[str, list[str]]]:
    found = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            raise LevelError(
                f"{prop}: an empty entry; write e.g. {'50%,80%' if prop == WARN_AT else '4h,8h'}"
            )
        found.append((item, [part.strip() for part in item.split(":")]))
    return found


def parse_levels(
    warn_at: str, escalate: str, known_roles: frozenset[str] | None = None
) -> tuple[DeadlineLevel, ...]:
    """The levels of a user task's `warnAt` and `escalate` properties, warnings first, each list in the
    order of its time; LevelError names the first problem. `known_roles`: the staff roles and
    departments a recipient may name (None: any lower-case name, checked again at deploy)."""
    levels: list[DeadlineLevel] = []
    if warn_at.strip():
        shares = []
        for item, parts in _items(WARN_AT, warn_at):
            match = _PERCENT.match(parts[0]) if len(parts) <= 3 else None
            if match is None or not 0 < int(match.group(1)) < 100:
                raise LevelError(
                    f"{WARN_AT} '{item}': write a share of the time between 1% and 99%, e.g. 50%"
                )
            recipients = _recipients(parts[1], known_roles, WARN_AT, item) if len(parts) > 1 else ()
            channel = _channel(parts, WARN_AT, item, "app")
            shares.append((int(match.group(1)) / 100, recipients or ("assignee",), channel))
        if [s for s, _r, _c in shares] != sorted({s for s, _r, _c in shares}):
            raise LevelError(f"{WARN_AT}: list the shares once each, from the smallest (50%,80%)")
        levels.extend(DeadlineLevel(0, "warning", share=s, recipients=r, channel=c) for s, r, c in shares)
    if escalate.strip():
        steps = []
        for item, parts in _items(ESCALATE, escalate):
            match = _HOURS.match(parts[0]) if len(parts) <= 3 else None
            if match is None or int(match.group(1)) < 1:
                raise LevelError(f"{ESCALATE} '{item}': write working hours after the deadline, e.g. 4h")
            recipients = _recipients(parts[1], known_roles, ESCALATE, item) if len(parts) > 1 else ()
            channel = _channel(parts, ESCALATE, item, "message")
            steps.append((int(match.group(1)), recipients or ("supervisors",), channel))
        if [h for h, _r, _c in steps] != sorted({h for h, _r, _c in steps}):
            raise LevelError(f"{ESCALATE}: list the hours once each, from the smallest (4h,8h)")
        levels.extend(
            DeadlineLevel(0, "escalation", after=timedelta(hours=h), recipients=r, channel=c)
            for h, r, c in steps
        )
    return tuple(
        DeadlineLevel(n, lv.kind, lv.share, lv.after, lv.recipients, lv.channel)
        for n, lv in enumerate(levels, start=1)
    )


def _channel(parts: list[str], prop: str, item: str, default: str) -> str:
    if len(parts) < 3 or not parts[2]:
        return default
    if parts[2] not in CHANNELS:
        raise LevelError(f"{prop} '{item}': unknown channel '{parts[2]}'; use app or message")
    return parts[2]
