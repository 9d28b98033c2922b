"""Intake in one form (M5): find the caller in the customer register, see their earlier cases to avoid a
duplicate, fill the form from the record; a new caller is added to the register with the case. Every
record shown in full is logged, and only roles that see personal data search the register (M6)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.db.models import Customer, PersonalDataAccess
from engine.people.access_log import accesses_of_customer
from engine.runtime import Runtime
from tests.helpers import intake_form
from tests.web.support import get, login, record_case, submit


def test_the_operator_finds_the_caller_and_sees_their_open_case_m5(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime
) -> None:
    """M5: the customer record and their complaint history at intake."""
    earlier, _ = record_case(sessions, runtime, customer_phone="13900000001", customer_name="刘洋")
    login(client, "operator")
    page = get(client, "/cases/new/complaint?lookup=1390000000")
    rows = page.by_id("found-customers").xpath("./tbody/tr")
    assert [r.xpath("./td")[0].text for r in rows] == [
        "JM-0301-101",
        "JM-0301-202",
        "JM-0501-301",
        "XH-0101-101",
    ]
    assert get(client, "/cases/new/complaint?lookup=3号楼").by_id("found-customers").xpath(
        "./tbody/tr/td[1]/text()"
    ) == ["JM-0301-101", "JM-0301-202", "JM-0302-501"]

    with sessions() as session:
        liu = session.scalars(select(Customer).where(Customer.account_no == "JM-0301-101")).one()
    page = get(client, f"/cases/new/complaint?customer={liu.id}")
    assert (
        page.field_value("customer_name"),
        page.field_value("customer_phone"),
        page.field_value("address"),
    ) == ("刘洋", "13900000001", "金明区3号楼1单元101")
    assert earlier in page.text("earlier-cases")  # the open case is shown: no duplicate by mistake


def test_a_new_caller_is_added_to_the_register_with_the_case_m5(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    login(client, "operator")
    page = get(client, "/cases/new/complaint?lookup=13700001234")
    assert page.has("no-customer")
    form = intake_form(customer_phone="13700001234", customer_name="新用户", address="兴华区8号楼3单元302")
    assert submit(client, "/cases/new/complaint", form).status == 302
    with sessions() as session:
        added = session.scalars(select(Customer).where(Customer.phone == "13700001234")).one()
        assert (added.name, added.address) == ("新用户", "兴华区8号楼3单元302")
    # a second case of the same caller adds no second record, and the first case shows at the next call
    assert submit(client, "/cases/new/complaint", form).status == 302
    with sessions() as session:
        assert len(session.scalars(select(Customer).where(Customer.phone == "13700001234")).all()) == 1
    page = get(client, f"/cases/new/complaint?customer={added.id}")
    assert len(page.by_id("earlier-cases").xpath(".//li")) == 2


def test_every_caller_shown_in_full_at_intake_is_recorded_m6(
    client: FlaskClient, sessions: sessionmaker[Session]
) -> None:
    """M6: the register's records the lookup shows (name, phone, address in full), and the one whose data
    fills the form, each leave a record of who saw them and where."""
    login(client, "operator")
    page = get(client, "/cases/new/complaint?lookup=3号楼")
    shown = page.by_id("found-customers").xpath("./tbody/tr/td[1]/text()")
    with sessions() as session:
        accounts = dict(session.execute(select(Customer.id, Customer.account_no)).all())
        logged = session.scalars(select(PersonalDataAccess).order_by(PersonalDataAccess.id)).all()
    assert sorted(accounts[a.customer_id] for a in logged) == sorted(shown) and len(shown) == 3
    assert {(a.username, a.view, a.instance_id) for a in logged} == {("operator", "intake_lookup", None)}

    liu = next(i for i, account in accounts.items() if account == "JM-0301-101")
    get(client, f"/cases/new/complaint?customer={liu}")
    with sessions() as session:
        assert [(a.username, a.view) for a in accesses_of_customer(session, liu)] == [
            ("operator", "intake_lookup"),
            ("operator", "intake_customer"),
        ]
    # a search that finds nobody, or the form alone, records nothing
    get(client, "/cases/new/complaint?lookup=nobody-here")
    get(client, "/cases/new/complaint")
    with sessions() as session:
        assert len(session.scalars(select(PersonalDataAccess)).all()) == 4


def test_roles_without_personal_data_cannot_search_the_register_m6(
    client: FlaskClient, sessions: sessionmaker[Session], deploy_process: Any
) -> None:
    """M6: a liaison records the feedback the customer gives them; the register (everyone's name, phone and
    address) is not searched from their intake, and asking for it shows and records nothing."""
    deploy_process("liaison")
    login(client, "liaison")
    with sessions() as session:
        liu = session.scalars(select(Customer.id).where(Customer.account_no == "JM-0301-101")).one()
    page = get(client, f"/cases/new/liaison?lookup=1390000000&customer={liu}")
    assert page.status == 200
    assert not page.has("customer-lookup") and not page.has("found-customers")
    assert page.field_value("customer_phone") == "" and "13900000001" not in page.html
    with sessions() as session:
        assert session.scalars(select(PersonalDataAccess)).all() == []
