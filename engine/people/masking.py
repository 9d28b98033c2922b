"""How a customer's personal data is masked for roles that do not need it (C7, M6).

Which data is personal is declared with the field in the diagram (form-field property `personal` =
phone, name, address or text, engine.bpmn.PERSONAL_KINDS); the case's customer columns (name, phone,
address: what every procedure's intake projects onto the case, engine/cases/projection.py) are
personal whatever the diagram says. A masked value never shows a short value in full."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The case's customer columns and their kind; a diagram's declarations add to these.
CUSTOMER_COLUMNS: Mapping[str, str] = {
    "customer_name": "name",
    "customer_phone": "phone",
    "address": "address",
}


def personal_kinds(declared: Mapping[str, str] | None = None) -> dict[str, str]:
    """Field id -> kind of personal data: the customer columns and what a diagram declares."""
    return {**CUSTOMER_COLUMNS, **(declared or {})}


def _masked_phone(text: str) -> str:
    if "@" in text:  # a contact given as an e-mail address
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    if len(text) >= 11:  # a mobile number, or a landline with its area code: 3 + 4 stay
        return text[:3] + "****" + text[-4:]
    if len(text) >= 7:
        return "****" + text[-2:]
    return "****"


def masked_as(kind: str, value: Any) -> Any:
    """The value as a masked role sees it, by the kind of personal data it is: a phone keeps its first
    3 and last 4 digits (only when at least 4 are hidden), a name its surname (the first character),
    an address a prefix of at most half its length (and at most 6 characters), other text nothing."""
    if value is None or value == "" or not kind:
        return value
    text = str(value)
    if kind == "phone":
        return _masked_phone(text)
    if kind == "name":
        return text[:1] + "*" * max(len(text) - 1, 1)
    if kind == "address":
        return text[: min(len(text) // 2, 6)] + "…"
    return "***"


def masked(field_id: str, value: Any, kinds: Mapping[str, str] = CUSTOMER_COLUMNS) -> Any:
    """The value of a field as a masked role sees it; data that is not personal is shown as it is."""
    return masked_as(kinds.get(field_id, ""), value)
