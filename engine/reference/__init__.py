"""Reference data: departments and categories with their routes and deadlines.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.reference.data import (
    DEFAULT_ONSITE_MINUTES,
    ReferenceData,
    default_reference_data,
    fill_suggested,
    load_reference_data,
    reference_session,
    script_lookups,
    seed_reference_data,
    with_reference_options,
)
from engine.reference.use_cases import save_category_form, save_department_form

__all__ = [
    "DEFAULT_ONSITE_MINUTES",
    "ReferenceData",
    "default_reference_data",
    "fill_suggested",
    "load_reference_data",
    "reference_session",
    "save_category_form",
    "save_department_form",
    "script_lookups",
    "seed_reference_data",
    "with_reference_options",
]
