"""The case search's filters from the query string: what was chosen (for the form and the page links) and the query."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import request
from flask_login import current_user

from engine.supervision import SORTS, STATUSES, CaseQuery
from webforms.database import runtime
from webforms.request_checks import day_of

TEXT_FILTERS = ("number", "customer", "phone", "address")
# Searching by who the customer is would reveal them to roles that see them masked (C7, M6).
PERSONAL_FILTERS = frozenset({"customer", "phone", "address"})
CHOICE_FILTERS = ("process", "category", "department", "source", "status", "overdue", "from", "to", "sort")


@dataclass
class SearchForm:
    """The filters as typed (for the form and the links) and the query they make."""

    chosen: dict[str, str]
    query: CaseQuery
    errors: dict[str, str] = field(default_factory=dict)


def _day(text: str) -> date | None:
    return day_of(text)


def allowed_filters() -> tuple[str, ...]:
    personal = current_user.sees_personal_data
    return tuple(f for f in TEXT_FILTERS if personal or f not in PERSONAL_FILTERS) + CHOICE_FILTERS


def search_form() -> SearchForm:
    return search_form_of(request.args)


def search_form_of(args: Mapping[str, str]) -> SearchForm:
    """The filters and their query from the case search's parameters (the page's query string, the
    API's checked arguments under the same names)."""
    chosen = {k: str(args.get(k, "")).strip()[:100] for k in allowed_filters()}
    chosen = {k: v for k, v in chosen.items() if v}
    if chosen.get("status") not in STATUSES:
        chosen.pop("status", None)
    if chosen.get("sort") not in SORTS:
        chosen.pop("sort", None)
    if chosen.get("overdue") != "1":
        chosen.pop("overdue", None)
    zone = runtime().zone
    errors: dict[str, str] = {}
    days: dict[str, datetime | None] = {"from": None, "to": None}
    for key in days:
        if key in chosen:
            day = _day(chosen[key])
            if day is None:
                errors[key] = chosen.pop(key)
            else:
                # Local days: from the start of the first to the start of the day after the last.
                days[key] = datetime.combine(day + timedelta(days=1 if key == "to" else 0), time(0, 0), zone)
    query = CaseQuery(
        case_number=chosen.get("number", ""),
        customer=chosen.get("customer", ""),
        phone=chosen.get("phone", ""),
        address=chosen.get("address", ""),
        process_key=chosen.get("process", ""),
        category=chosen.get("category", ""),
        department=chosen.get("department", ""),
        source=chosen.get("source", ""),
        status=chosen.get("status", ""),
        overdue="overdue" in chosen,
        opened_from=days["from"],
        opened_before=days["to"],
        sort=chosen.get("sort", "newest"),
        now=runtime().clock.now(),
        visible_to=current_user.actor,
    )
    return SearchForm(chosen, query, errors)
