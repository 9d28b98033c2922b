"""A report's period from the query (?from=…&to=…): the days asked for, or the page's default for a value
that is no day, kept as typed and said what is wrong with it beside its field, as the case search does."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from flask import flash, request
from flask_babel import gettext as _

from webforms.request_checks import FIRST_YEAR, LAST_YEAR

BOUNDS = ("from", "to")
# The longest period a report page counts at once.
MAX_DAYS = 400
# What is kept of a typed value for the form: a date needs ten characters, a mistake a few more.
TYPED_LIMIT = 40


@dataclass(frozen=True)
class AskedPeriod:
    """The period to show, the values as typed (for the form) and what is wrong with each bad one."""

    first: date
    last: date
    typed: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)


def _problem(typed: str) -> tuple[date | None, str]:
    """The day typed, or what is wrong with it."""
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        return None, _("“%(value)s” is not a date. Enter a date as YYYY-MM-DD.", value=typed)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        message = _(
            "“%(value)s” is outside the years %(first)s to %(last)s.",
            value=typed,
            first=FIRST_YEAR,
            last=LAST_YEAR,
        )
        return None, message
    return day, ""


def asked_period(default_first: date, default_last: date) -> AskedPeriod:
    """The period of the request's `from` and `to`; a bound absent, empty or bad is its default."""
    typed = {bound: request.values.get(bound, "").strip()[:TYPED_LIMIT] for bound in BOUNDS}
    days = {"from": default_first, "to": default_last}
    errors: dict[str, str] = {}
    for bound in BOUNDS:
        if typed[bound]:
            day, problem = _problem(typed[bound])
            if day is None:
                errors[bound] = problem
            else:
                days[bound] = day
    return AskedPeriod(days["from"], days["to"], typed, errors)


def senseless(first: date, last: date) -> bool:
    """Whether a period ends before it starts or is longer than a report counts."""
    return last < first or (last - first).days > MAX_DAYS


def asked_sensible_period(default_first: date, default_last: date) -> AskedPeriod:
    """The period asked for; the default for a bound that is no day (said beside its field), and for a
    period that makes no sense (said in a message)."""
    asked = asked_period(default_first, default_last)
    if senseless(asked.first, asked.last):
        flash(
            _("Choose a period of at most %(days)s days whose end is not before its start.", days=MAX_DAYS),
            "error",
        )
        return replace(asked, first=default_first, last=default_last)
    return asked
