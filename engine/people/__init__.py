"""People: users and roles, the customer register, the record of unmasked views (M6), masking.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.people.access_log import cases_named_in, holds_personal_data
from engine.people.customers import cases_of_phone, find_customers, register_caller
from engine.people.masking import CUSTOMER_COLUMNS, masked, masked_as, personal_kinds
from engine.people.use_cases import record_case_list_view, record_case_view, record_customer_view
from engine.people.users import PII_ROLES, STAFF_ROLES, actor_of, authenticate, create_user, find_user

__all__ = [
    "CUSTOMER_COLUMNS",
    "PII_ROLES",
    "STAFF_ROLES",
    "actor_of",
    "authenticate",
    "cases_named_in",
    "cases_of_phone",
    "create_user",
    "find_customers",
    "find_user",
    "holds_personal_data",
    "masked",
    "masked_as",
    "personal_kinds",
    "record_case_list_view",
    "record_case_view",
    "record_customer_view",
    "register_caller",
]
