"""An administrator's changes to reference data, checked before they are written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.db import Category, Department

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


def _text(raw: Any, limit: int) -> str:
    return str(raw or "").strip()[:limit]


def _control_characters(submitted: Mapping[str, Any]) -> dict[str, FieldError]:
    """Names and codes are one line of text: a control character (NUL, a vertical tab) is refused."""
    return {
        key: error
        for key, value in submitted.items()
        if (error := control_character_error(str(value))) is not None
    }


def save_category(
    session: Session, code: str, submitted: Mapping[str, Any], new: bool
) -> dict[str, FieldError]:
    """Create or change a category; returns the errors by field (nothing is written when there are any)."""
    refused = _control_characters({"code": code, **submitted})
    if refused:
        return refused
    errors: dict[str, FieldError] = {}
    if new and not _CODE.match(code):
        errors["code"] = FieldError("pattern")
    elif new and session.get(Category, code) is not None:
        errors["code"] = FieldError("taken")
    name = _text(submitted.get("name"), 100)
    if not name:
        errors["name"] = FieldError("required")
    department = _text(submitted.get("department_code"), 50)
    if session.get(Department, department) is None:
        errors["department_code"] = FieldError("not_option")
    minutes_text = _text(submitted.get("onsite_minutes"), 10)
    minutes: int | None = None
    if minutes_text:
        if not re.fullmatch(r"[0-9]+", minutes_text) or not 1 <= int(minutes_text) <= 7 * 24 * 60:
            errors["onsite_minutes"] = FieldError("min_value", {"min": 1})
        else:
            minutes = int(minutes_text)
    parent = _text(submitted.get("parent_code"), 50) or None
    if parent is not None and (parent == code or session.get(Category, parent) is None):
        errors["parent_code"] = FieldError("not_option")
    domain = _text(submitted.get("domain"), 20) or "general"
    if domain not in ("heating", "water", "general"):
        errors["domain"] = FieldError("not_option")
    if errors:
        return errors
    row = session.get(Category, code) if not new else None
    if row is None:
        row = Category(code=code, sort_order=1000)
        session.add(row)
    row.name, row.name_en, row.domain, row.parent_code = (
        name,
        _text(submitted.get("name_en"), 100),
        domain,
        parent,
    )
    row.department_code, row.onsite_minutes = department, minutes
    row.active = str(submitted.get("active", "")).lower() in ("on", "true", "1")
    session.flush()
    return {}


def save_department(session: Session, code: str, submitted: Mapping[str, Any]) -> dict[str, FieldError]:
    refused = _control_characters({"code": code, **submitted})
    if refused:
        return refused
    row = session.get(Department, code)
    if row is None:
        return {"code": FieldError("not_option")}
    name = _text(submitted.get("name"), 100)
    if not name:
        return {"name": FieldError("required")}
    row.name, row.name_en = name, _text(submitted.get("name_en"), 100)
    row.active = str(submitted.get("active", "")).lower() in ("on", "true", "1")
    session.flush()
    return {}
