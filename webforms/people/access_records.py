"""M6 from a page: what the signed-in user was shown in full is recorded, in a short unit of work of its
own after the page has read what it shows (the page's own reading takes no write lock)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_login import current_user

from engine.bpmn import FieldDef
from engine.people import holds_personal_data, record_case_list_view, record_case_view, record_customer_view
from webforms.database import unit_of_work
from webforms.people.masking import declared_personal, sees_in_full


def record_unmasked_view(
    instance_id: int, data: dict[str, Any], view: str, fields: Mapping[str, FieldDef] | None = None
) -> None:
    """A case whose personal data the user sees in full (its page, one of its tasks) leaves a record:
    the customer's name, phone or address, or any field its diagram declares personal (`fields`)."""
    if sees_in_full() and holds_personal_data(data, declared_personal(fields)):
        with unit_of_work() as uow:
            record_case_view(uow, current_user.username, instance_id, view)
            uow.commit()


def record_unmasked_list(instance_ids: list[int], view: str) -> None:
    """Cases of a list shown in full to a role that sees personal data (search results, which show the
    customer's name): one statement."""
    if current_user.sees_personal_data:
        record_cases_shown(instance_ids, view)


def record_cases_shown(instance_ids: list[int], view: str) -> None:
    """Cases the page showed in full whatever the user's roles (a job's address on the field page, a
    message naming the customer); nothing is written when there are none."""
    if instance_ids:
        with unit_of_work() as uow:
            record_case_list_view(uow, current_user.username, instance_ids, view)
            uow.commit()


def record_customers_shown(customer_ids: list[int], view: str) -> None:
    """Register records shown in full (the callers found or chosen at intake)."""
    if customer_ids:
        with unit_of_work() as uow:
            record_customer_view(uow, current_user.username, customer_ids, view)
            uow.commit()
