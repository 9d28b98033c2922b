"""Confidential complaints (保密, C7): the complainant asked that their identity be kept from everyone
who does not need it, the handling department included.

A case is confidential when its intake ticked the form field `confidential`. Its customer's name, phone
and address (the case's customer columns and every field its diagram declares personal) are then shown
in full only to the supervisors and to the person who opened the case (the operator who took the call);
every other role, including the operators and dispatchers who otherwise see personal data and a
department whose step would show it the customer's contact, sees them masked. The case's summary columns
and its search text keep only a mask, so no list, search, board, handover or export can show or find
the complainant; messages the diagram sends fill the customer's fields with the mask too. Every full
view by an allowed person is recorded, as for any case (M6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.people.masking import CUSTOMER_COLUMNS
from engine.runtime import Actor

CONFIDENTIAL_FIELD = "confidential"
# Besides the person who opened the case: who may see a confidential complainant's identity.
ROLES_SEEING_CONFIDENTIAL = frozenset({"supervisor"})
HIDDEN = "***"


def is_confidential(data: Mapping[str, Any]) -> bool:
    return data.get(CONFIDENTIAL_FIELD) is True


def identity_hidden(data: Mapping[str, Any], opened_by: str, actor: Actor) -> bool:
    """Whether this person must not see the customer of this case, whatever their roles."""
    if not is_confidential(data):
        return False
    return not (actor.groups & ROLES_SEEING_CONFIDENTIAL or actor.username == opened_by)


def hidden_value(value: Any) -> Any:
    """A confidential customer's value as lists, searches and messages keep it: nothing of it."""
    return value if value in (None, "") else HIDDEN


def without_identity(data: Mapping[str, Any], personal: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The case data with the customer's fields (the customer columns and `personal` ones) hidden."""
    kinds = {**CUSTOMER_COLUMNS, **(personal or {})}
    return {key: hidden_value(value) if key in kinds else value for key, value in data.items()}
