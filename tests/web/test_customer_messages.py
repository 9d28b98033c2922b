"""O1/O2: staff change how a customer is told (no SMS, the messages' language) when the customer asks;
the change is audited and the next notice follows it."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db import AdminAudit, Customer
from tests.web.support import get, login, submit

URL = "/customers/messages"


def test_an_operator_marks_a_customer_no_sms_and_english_and_it_is_audited_o1(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.add(
            Customer(
                account_no="JM-9001",
                name="王五",
                phone="13800007777",
                district="金明小区",
                building="3号楼",
                unit="2单元",
                service="heating",
            )
        )
    login(client, "operator")
    assert get(client, f"{URL}?account=NOPE").status == 404
    page = get(client, f"{URL}?account=JM-9001")
    assert (
        page.status == 200 and page.field_value("no_sms") is False and page.field_value("language") == "zh_CN"
    )
    assert "王五" not in page.html and "13800007777" not in page.html  # no personal data here
    page = submit(
        client,
        f"{URL}?account=JM-9001",
        {"account": "JM-9001", "no_sms": True, "language": "en"},
        post_url=URL,
        follow=True,
    )
    assert page.field_value("no_sms") is True and page.field_value("language") == "en"
    with sessions() as session:
        customer = session.scalars(select(Customer).where(Customer.account_no == "JM-9001")).one()
        audit = session.scalars(select(AdminAudit).where(AdminAudit.subject_kind == "customer")).all()
    assert (customer.no_sms, customer.language) == (True, "en")
    assert [(a.actor, a.action, a.subject, a.changes) for a in audit] == [
        (
            "operator",
            "customer_messages_changed",
            "JM-9001",
            {"language": ["zh_CN", "en"], "no_sms": [False, True]},
        )
    ]
