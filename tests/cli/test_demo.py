"""`hotline demo` on a fresh embedded database: schema, every procedure, users, reference data and an
open case of every procedure, as the README's first command promises."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from engine.db.models import CallbackSample, Category, Customer, Notice, Notification, ProcessInstance, Report
from hotline.cli import main
from tests.cli.conftest import Demo


def test_demo_sets_up_every_procedure_with_open_cases(demo: Demo) -> None:
    assert "ops_head" in demo.output and "hotline123" in demo.output
    db = create_engine(demo.url)
    with Session(db) as session:
        keys = session.scalars(select(ProcessInstance.process_key).order_by(ProcessInstance.id)).all()
        assert sorted(set(keys)) == [
            "callback",
            "complaint",
            "connection",
            "consultation",
            "liaison",
            "outage",
            "repair",
        ]
        # past cases, with last week's report, the monthly report that is due and last week's callback sample
        assert session.scalar(select(func.count()).select_from(Report)) == 2
        assert session.scalar(select(func.count()).select_from(CallbackSample)) == 1
        weekly = session.scalars(select(Report).where(Report.kind == "weekly")).one()
        assert weekly.content["total"]["received"] == 12 and weekly.content["open_cases"]
        assert session.scalar(select(func.count()).select_from(Category)) >= 20
        assert session.scalar(select(func.count()).select_from(Customer)) > 0
        assert session.scalars(select(Notice.kind)).all() == ["outage"]
        assert session.scalars(select(Notification.recipient)).all() == ["ops_head"]
    again = CliRunner().invoke(main, ["demo"])  # a second run adds no second set of cases
    assert again.exit_code == 0
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == len(keys)
    db.dispose()


def test_every_demo_caller_is_in_the_register_with_their_cases_m5(demo: Demo) -> None:
    """M5: the demo's cases are recorded as calls are, so a repeat caller is found by name or phone at
    intake, with their earlier cases."""
    from engine.people import cases_of_phone, find_customers

    db = create_engine(demo.url)
    with Session(db) as session:
        callers = set(
            session.scalars(
                select(ProcessInstance.customer_phone).where(ProcessInstance.customer_phone != "")
            )
        )
        registered = set(session.scalars(select(Customer.phone)))
        assert callers and callers <= registered
        assert [c.phone for c in find_customers(session, "张伟")] == ["13800001111"]
        assert [c.name for c in find_customers(session, "13800001111")] == ["张伟"]
        assert len(cases_of_phone(session, "13800001111")) >= 8
    db.dispose()
