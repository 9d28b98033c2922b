"""Personal data on pages: shown in full to the roles that need it, masked for everyone else."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from engine.people import masked


def mask(field_id: str, value: Any) -> Any:
    """The value as the signed-in user may see it (C7, M6)."""
    return value if current_user.sees_personal_data else masked(field_id, value)
