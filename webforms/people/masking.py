"""Personal data on pages: shown in full to the roles that need it, masked for everyone else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import current_user

from engine.bpmn import FieldDef
from engine.people import masked, personal_kinds


def declared_personal(fields: Mapping[str, FieldDef] | None) -> dict[str, str]:
    """The personal fields of a diagram's forms (property `personal`) and the case's customer columns."""
    return personal_kinds({key: f.personal for key, f in (fields or {}).items() if f.personal})


def mask(field_id: str, value: Any, fields: Mapping[str, FieldDef] | None = None) -> Any:
    """The value as the signed-in user may see it (C7, M6); `fields`: the case's diagram's form fields,
    which say which fields are personal data."""
    return value if current_user.sees_personal_data else masked(field_id, value, declared_personal(fields))
