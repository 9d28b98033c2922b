"""How a customer wants to be told (O1/O2): no SMS (e-mail instead, if there is an address), and the
language of the messages (Chinese unless the customer asks for English)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from engine.bpmn import FieldError
from engine.db import Customer
from engine.errors import FormInvalid, NotFound
from engine.reference import changes_between, record_admin_change

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

MESSAGE_LANGUAGES = ("zh_CN", "en")


def set_customer_message_preferences(
    uow: UnitOfWork,
    account_no: str,
    no_sms: bool | None = None,
    language: str | None = None,
    actor: str = "command line",
) -> Customer:
    """Change what is given (None: leave as it is), audited; returns the customer as it now is."""
    if language is not None and language not in MESSAGE_LANGUAGES:
        raise FormInvalid({"language": FieldError("not_option")}, {"language": language})
    customer = uow.session.scalars(select(Customer).where(Customer.account_no == account_no)).first()
    if customer is None:
        raise NotFound(f"no customer with account number {account_no}")
    before = {"no_sms": customer.no_sms, "language": customer.language}
    if no_sms is not None:
        customer.no_sms = no_sms
    if language is not None:
        customer.language = language
    changes = changes_between(before, {"no_sms": customer.no_sms, "language": customer.language})
    if changes:
        record_admin_change(
            uow.session, uow.clock, actor, "customer_messages_changed", "customer", account_no, changes
        )
    return customer


def customer_message_preferences(uow: UnitOfWork, account_no: str) -> tuple[bool, str]:
    """(no SMS, language) of the customer with this account; raises NotFound."""
    row = uow.session.execute(
        select(Customer.no_sms, Customer.language).where(Customer.account_no == account_no)
    ).first()
    if row is None:
        raise NotFound(f"no customer with account number {account_no}")
    return bool(row[0]), row[1] or "zh_CN"
