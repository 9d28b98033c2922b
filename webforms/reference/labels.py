"""Reference data on pages: the options of reference fields and enum values in the user's language."""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import lazy_gettext as _l

from engine.bpmn import FieldDef
from engine.decisions import routes
from engine.reference import ReferenceData, load_reference_data, with_reference_options
from webforms.database import reading_session
from webforms.i18n import current_language, localized_name


def request_reference() -> ReferenceData:
    """The reference tables, read at most once per request."""
    if "hotline_reference" not in g:
        g.hotline_reference = load_reference_data(reading_session())
    return g.hotline_reference


def form_fields(fields: tuple[FieldDef, ...]) -> tuple[FieldDef, ...]:
    """A form's fields as the page shows them: reference enums hold today's options."""
    if not any(f.reference for f in fields):
        return fields
    return with_reference_options(fields, request_reference())


REFERENCE_KINDS = ("category", "department", "case_source")


def reference_name(kind: str, value: Any) -> str:
    """A category, department or case source code by its name in the reference data, in the user's
    language; the code itself when the reference data does not know it."""
    reference = request_reference()
    rows: tuple[Any, ...] = {"department": reference.departments, "case_source": reference.sources}.get(
        kind, reference.categories
    )
    for row in rows:
        if row.code == value:
            return localized_name(row)
    return "" if value is None else str(value)


def source_label(code: str | None) -> str:
    """Where a case came from, by the source's name in the user's language."""
    return reference_name("case_source", code)


def from_upstream(code: str | None) -> bool:
    """Whether cases of this source are replied on a platform upstream (U1)."""
    return code in request_reference().upstream_sources()


def enum_name(field: FieldDef, value: Any) -> str:
    """An enum value by its name in the user's language; reference values keep their name once retired."""
    if field.reference:
        return reference_name(field.reference, value)
    return field.option_name(value, current_language())


def department_routes() -> dict[str, str]:
    """Where the routing table sends each active category: what a form's suggested department follows."""
    found = routes(reading_session(), request_reference().active_category_codes())
    return {code: r.department for code, r in found.items() if r.department}


DOMAIN_LABELS = {
    "heating": _l("Heating"),
    "water": _l("Water"),
    "general": _l("General"),
    # Case sources whose cases are replied upstream (U1).
    "upstream": _l("Forwarded by a platform or authority"),
}
# The option groups of a list of people and crews (webforms/work/staff_picker.py).
STAFF_PEOPLE, STAFF_CREWS = "staff:people", "staff:crews"
STAFF_OPTION_GROUPS = {
    STAFF_PEOPLE: _l("Workers, the least busy first"),
    STAFF_CREWS: _l("Crews (any member)"),
}


def option_groups(field: FieldDef) -> list[tuple[str, list[Any]]]:
    """A select's options in their order, grouped (heating, water, a parent category; the people and
    the crews of a staff list); '' = no group."""
    groups: dict[str, list[Any]] = {}
    for option in field.options:
        groups.setdefault(option.group, []).append(option)
    labelled = []
    for group, options in groups.items():
        if group in DOMAIN_LABELS:
            label = str(DOMAIN_LABELS[group])
        elif group in STAFF_OPTION_GROUPS:
            label = str(STAFF_OPTION_GROUPS[group])
        elif group:
            label = enum_name(field, group)
        else:
            label = ""
        labelled.append((label, options))
    return labelled
