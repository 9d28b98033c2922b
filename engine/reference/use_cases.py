"""Administering reference data, as use cases: a category or a department saved from a form.
FormInvalid when the form has errors, so every caller refuses a bad form the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import FormInvalid
from engine.reference.admin import save_category, save_department

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


def save_category_form(uow: UnitOfWork, code: str, submitted: Mapping[str, Any], new: bool) -> None:
    errors = save_category(uow.session, code, submitted, new)
    if errors:
        raise FormInvalid(errors, submitted)


def save_department_form(uow: UnitOfWork, code: str, submitted: Mapping[str, Any]) -> None:
    errors = save_department(uow.session, code, submitted)
    if errors:
        raise FormInvalid(errors, submitted)
