"""Departments are data: an administrator adds, renames, retires and restores them (retiring one that
open tasks or active categories still use is refused, naming them); diagram validation accepts a group
that exists in the data and names the choices when it does not. Every change is an audit event."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import DEFAULT_TIME_ZONE, SettableClock
from engine.db import AdminAudit, Category, Department
from engine.decisions import deploy_decision
from engine.errors import FormInvalid
from engine.processes.deployment import deploy
from engine.processes.validation import DiagramProblem, validate_diagram
from engine.reference import add_department_form, known_groups, save_category_form, save_department_form
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.conftest import START_TIME
from tests.helpers import COMPLAINT_BPMN, OPERATOR, edited, form_field, linear, set_attribute, user_task
from tests.integration.processes.test_decisions import rerouted

APPROVE = "//bpmn:userTask[@id='approve_extension']"
CANDIDATE_GROUPS = "{http://camunda.org/schema/1.0/bpmn}candidateGroups"

ADMIN = "root"


def _unit(sessions: sessionmaker[Session], runtime: Runtime) -> UnitOfWork:
    return UnitOfWork(sessions, runtime)


def _add_heat_supply(sessions: sessionmaker[Session], runtime: Runtime) -> None:
    with _unit(sessions, runtime) as uow:
        add_department_form(uow, ADMIN, {"code": "heat_supply", "name": "供热站", "name_en": "Heat supply"})
        uow.commit()


def _diagram(group: str) -> bytes:
    """An intake by an operator, then an answer by `group`."""
    return linear(
        user_task("intake", fields=form_field("note")),
        user_task("answer", groups=group, fields=form_field("reply")),
        key="small",
    )


def _actions(sessions: sessionmaker[Session], code: str) -> list[tuple[str, dict]]:
    with sessions() as session:
        return [
            (e.action, e.changes)
            for e in session.scalars(
                select(AdminAudit).where(AdminAudit.subject == code).order_by(AdminAudit.id)
            )
        ]


def _validated(session: Session, xml: bytes) -> list[DiagramProblem]:
    return validate_diagram(session, xml, SettableClock(START_TIME), ZoneInfo(DEFAULT_TIME_ZONE))


def test_a_department_added_is_a_group_diagrams_may_name(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    xml = edited(COMPLAINT_BPMN, set_attribute(APPROVE, CANDIDATE_GROUPS, "heat_supply"))
    with sessions() as session:
        [problem] = _validated(session, xml)
    assert problem.code == "unknown-candidate-group"
    # The refusal names the choices: the roles and the departments in the data.
    assert "repair" in problem.message and "supervisor" in problem.message
    _add_heat_supply(sessions, runtime)
    with sessions() as session:
        assert _validated(session, xml) == []
        assert "heat_supply" in known_groups(session)
    assert _actions(sessions, "heat_supply") == [
        (
            "department_added",
            {"active": [None, True], "name": [None, "供热站"], "name_en": [None, "Heat supply"]},
        )
    ]


@pytest.mark.parametrize(
    ("code", "problem"),
    [("Heat", "code_pattern"), ("x", "code_pattern"), ("repair", "taken"), ("supervisor", "taken")],
)
def test_a_new_department_needs_a_free_code_that_is_no_role(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None, code: str, problem: str
) -> None:
    with pytest.raises(FormInvalid) as refused, _unit(sessions, runtime) as uow:
        add_department_form(uow, ADMIN, {"code": code, "name": "某部门"})
    assert refused.value.errors["code"].code == problem


def test_retiring_a_department_in_use_is_refused_with_what_uses_it(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    _add_heat_supply(sessions, runtime)
    with sessions.begin() as session:
        deploy(session, runtime, _diagram("heat_supply"), "small.bpmn", "owner")
    with sessions.begin() as session:
        case_number = start_case(session, runtime, "small", OPERATOR, {}).case_number
    with _unit(sessions, runtime) as uow:
        save_category_form(
            uow,
            ADMIN,
            "radiator",
            {"name": "暖气片", "department_code": "heat_supply", "active": "on"},
            new=True,
        )
        uow.commit()
    with pytest.raises(FormInvalid) as refused, _unit(sessions, runtime) as uow:
        save_department_form(uow, ADMIN, "heat_supply", {"name": "供热站"})  # "active" unticked: retire
    error = refused.value.errors["active"]
    assert error.code == "in_use"
    assert error.params["tasks"] == f"{case_number}: answer"
    assert error.params["categories"] == "暖气片 (radiator)"
    with sessions() as session:
        assert session.get(Department, "heat_supply").active  # type: ignore[union-attr]


def test_a_department_nothing_uses_is_retired_renamed_and_restored_and_each_change_is_recorded(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    _add_heat_supply(sessions, runtime)
    with _unit(sessions, runtime) as uow:
        save_department_form(uow, ADMIN, "heat_supply", {"name": "供热所", "name_en": "Heat supply"})
        uow.commit()
    with sessions() as session:
        assert "heat_supply" not in known_groups(session)  # a retired department is no group to choose
    with _unit(sessions, runtime) as uow:
        save_department_form(uow, ADMIN, "heat_supply", {"name": "供热所", "active": "on"})
        uow.commit()
    assert [(a, c) for a, c in _actions(sessions, "heat_supply")][1:] == [
        ("department_retired", {"active": [True, False], "name": ["供热站", "供热所"]}),
        ("department_restored", {"active": [False, True], "name_en": ["Heat supply", ""]}),
    ]


def test_categories_still_route_to_departments_and_a_rerouting_is_recorded(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """C1: the category's department is where new cases go; the change names the old and new route."""
    _add_heat_supply(sessions, runtime)
    with sessions() as session:
        leak = session.get(Category, "leak")
        assert leak is not None
        submitted = {
            "name": leak.name,
            "domain": leak.domain,
            "department_code": "heat_supply",
            "active": "on",
        }
        minutes = leak.onsite_minutes
    with _unit(sessions, runtime) as uow:
        save_category_form(uow, ADMIN, "leak", {**submitted, "onsite_minutes": str(minutes)}, new=False)
        uow.commit()
    with sessions() as session:
        assert session.get(Category, "leak").department_code == "heat_supply"  # type: ignore[union-attr]
    [(action, changes)] = _actions(sessions, "leak")
    assert action == "category_changed" and changes["department_code"] == ["repair", "heat_supply"]


def test_retiring_a_department_the_routing_table_routes_to_is_refused(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, reference_data: None
) -> None:
    """Routing lives in the routing table: a department it sends a category to is in use, whatever the
    category's own row says."""
    _add_heat_supply(sessions, runtime)
    with sessions.begin() as session:
        deploy_decision(session, clock, rerouted("leak", "heat_supply", 30), "routing.dmn", "admin")
        assert session.get(Category, "leak").department_code == "repair"  # type: ignore[union-attr]
    with pytest.raises(FormInvalid) as refused, _unit(sessions, runtime) as uow:
        save_department_form(uow, ADMIN, "heat_supply", {"name": "供热站"})
    assert refused.value.errors["active"].params["categories"] == "漏水 (leak)"
