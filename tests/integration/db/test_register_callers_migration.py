"""Migration 0021 (M5): every case's caller joins the customer register, so a caller whose cases were
opened before intake registered callers is found at the next call."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import engine.db
from engine.cases.runner import start_case
from engine.db.models import Customer, ProcessDefinition
from engine.people import find_customers
from engine.runtime import Runtime
from tests.helpers import OPERATOR, intake_form

MIGRATION = Path(engine.db.__file__).parent / "migrations" / "versions" / "0020_register_callers_of_cases.py"


def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("register_callers_of_cases", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_callers_of_earlier_cases_join_the_register_once_m5(
    sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:  # opened without intake's registration
        for name in ("周一", "周二"):
            start_case(
                session,
                runtime,
                "complaint",
                OPERATOR,
                intake_form(customer_phone="13700009999", customer_name=name),
            )
        start_case(session, runtime, "complaint", OPERATOR, intake_form())  # 张伟: in the register already
    with sessions() as session:
        assert find_customers(session, "13700009999") == []
        before = session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1))

    register_callers = migration().register_callers
    with sessions.begin() as session:
        assert register_callers(session.connection()) == 1
    with sessions.begin() as session:
        assert register_callers(session.connection()) == 0  # running it again adds nobody
    with sessions() as session:
        (found,) = find_customers(session, "13700009999")
        assert (found.name, found.address) == ("周二", "金明小区3号楼2单元501")
        assert found.account_no == "T2026112300009999"  # T, the first case's day, the last 8 digits
        assert session.scalar(select(Customer.id).order_by(Customer.id.desc()).limit(1)) == found.id != before
