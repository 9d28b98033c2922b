"""How a complainant's personal data is masked for roles that do not need it (C7, M6)."""

from __future__ import annotations

from typing import Any

from engine.people.access_log import PERSONAL_FIELDS


def masked(field_id: str, value: Any) -> Any:
    """The value as a masked role sees it: a phone keeps its first 3 and last 4 digits, a name its
    first character, an address its first 6; data that is not personal is shown as it is."""
    if value is None or field_id not in PERSONAL_FIELDS:
        return value
    text = str(value)
    if field_id == "customer_phone":
        return text[:3] + "****" + text[-4:] if len(text) >= 8 else "****"
    if field_id == "customer_name":
        return text[:1] + "*" * max(len(text) - 1, 1)
    return text[:6] + "…"
