"""Administering reference data, as use cases: a category or a department saved from a form, a new
department, a case source. FormInvalid when the form has errors, so every caller refuses a bad form the same way."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import FormInvalid
from engine.reference.admin import (
    add_case_source,
    add_department,
    save_case_source,
    save_category,
    save_department,
)

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.bpmn import FieldError
    from engine.unit_of_work import UnitOfWork


def _refuse_if(errors: dict[str, FieldError], submitted: Mapping[str, Any]) -> None:
    if errors:
        raise FormInvalid(errors, submitted)


def save_category_form(
    uow: UnitOfWork, actor: str, code: str, submitted: Mapping[str, Any], new: bool
) -> None:
    _refuse_if(save_category(uow.session, uow.clock, actor, code, submitted, new), submitted)


def save_department_form(uow: UnitOfWork, actor: str, code: str, submitted: Mapping[str, Any]) -> None:
    """Rename, retire or bring back a department (retiring one still in use is refused)."""
    _refuse_if(save_department(uow.session, uow.clock, actor, code, submitted, uow.runtime.router), submitted)


def add_department_form(uow: UnitOfWork, actor: str, submitted: Mapping[str, Any]) -> None:
    _refuse_if(add_department(uow.session, uow.clock, actor, submitted), submitted)


def save_case_source_form(uow: UnitOfWork, actor: str, code: str, submitted: Mapping[str, Any]) -> None:
    """Rename a case source, change its upstream flag, retire it or bring it back."""
    _refuse_if(save_case_source(uow.session, uow.clock, actor, code, submitted), submitted)


def add_case_source_form(uow: UnitOfWork, actor: str, submitted: Mapping[str, Any]) -> None:
    _refuse_if(add_case_source(uow.session, uow.clock, actor, submitted), submitted)
