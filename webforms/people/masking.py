"""Personal data on pages: shown in full to the roles that need it, and on one case's pages to whoever
must visit or call that case's customer for their step (engine.cases.must_contact_customer); masked for
everyone else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g
from flask_login import current_user

from engine.bpmn import FieldDef
from engine.db import ProcessInstance
from engine.people import hidden_value, identity_hidden, masked, personal_kinds


def declared_personal(fields: Mapping[str, FieldDef] | None) -> dict[str, str]:
    """The personal fields of a diagram's forms (property `personal`) and the case's customer columns."""
    return personal_kinds({key: f.personal for key, f in (fields or {}).items() if f.personal})


def show_customer_in_full(kinds: frozenset[str]) -> None:
    """This request shows one case, whose customer the signed-in user must reach for their step: these
    kinds of its personal data are shown in full (engine.cases.customer_contact_kinds)."""
    g.customer_contact = kinds


def hide_customer_of(case: ProcessInstance) -> bool:
    """This request shows one case: a confidential one (C7) whose customer the signed-in user may not
    know is masked for them whatever their roles (engine.people.confidential). Returns whether it is."""
    g.identity_hidden = identity_hidden(case.data, case.opened_by, current_user.actor)
    return bool(g.identity_hidden)


def _identity_hidden() -> bool:
    return bool(g.get("identity_hidden", False))


def sees_personal_data() -> bool:
    """Whether the signed-in user sees personal data in full on this page (their roles, and not a
    confidential case they may not know)."""
    return bool(current_user.sees_personal_data) and not _identity_hidden()


def _contact_kinds() -> frozenset[str]:
    return g.get("customer_contact", frozenset())


def sees_in_full() -> bool:
    """Whether this page shows some of a customer's personal data in full to the signed-in user."""
    return not _identity_hidden() and bool(current_user.sees_personal_data or _contact_kinds())


def mask(field_id: str, value: Any, fields: Mapping[str, FieldDef] | None = None) -> Any:
    """The value as the signed-in user may see it (C7, M6); `fields`: the case's diagram's form fields,
    which say which fields are personal data. A confidential case's customer is `***` for whoever may not
    know them (C7), where other cases show a partial mask."""
    kinds = declared_personal(fields)
    if _identity_hidden():  # a confidential complainant: nothing of who they are, not even a partial mask
        return hidden_value(value) if field_id in kinds else value
    if current_user.sees_personal_data:
        return value
    if kinds.get(field_id) in _contact_kinds():
        return value
    return masked(field_id, value, kinds)
