"""Reference data (categories, departments) in forms, routing and scripts; the datetime field type."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.parser import DefinitionError, parse_definition
from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import Category, ProcessInstance
from engine.decisions import deploy_decision
from engine.errors import FormInvalid, ScriptFailed
from engine.processes.deployment import deploy
from engine.reference.data import seed_reference_data
from engine.runtime import Runtime
from tests.helpers import OPERATOR, form_field, linear, script_task, user_task
from tests.integration.processes.test_decisions import rerouted

REFERENCE_FIELDS = (
    form_field(
        "category",
        "enum",
        '<camunda:constraint name="required"/>',
        '<camunda:properties><camunda:property id="reference" value="category"/></camunda:properties>',
    )
    + form_field(
        "department",
        "enum",
        "",
        '<camunda:properties><camunda:property id="reference" value="department"/>'
        '<camunda:property id="suggestFrom" value="category"/></camunda:properties>',
    )
    + form_field("visit_at", "datetime")
)


def _deploy(sessions: sessionmaker[Session], runtime: Runtime, xml: bytes) -> None:
    with sessions.begin() as session:
        deploy(session, runtime, xml, "routed.bpmn", "test")


def _start(sessions: sessionmaker[Session], runtime: Runtime, form: dict) -> dict:
    with sessions.begin() as session:
        return dict(start_case(session, runtime, "small", OPERATOR, form).data)


@pytest.fixture
def routed(sessions: sessionmaker[Session], runtime: Runtime, reference_data: None) -> None:
    xml = linear(
        user_task("intake", fields=REFERENCE_FIELDS),
        script_task(
            "deadline",
            "onsite_due = add_minutes(onsite_minutes(category))\nrouted_to = department_of(category)",
        ),
        user_task("wait"),
    )
    _deploy(sessions, runtime, xml)


def test_department_left_empty_follows_the_category_c1(
    sessions: sessionmaker[Session], runtime: Runtime, routed: None
) -> None:
    """C1: the category decides the responsible department unless the operator chooses another one."""
    data = _start(sessions, runtime, {"category": "burst"})
    assert (data["category"], data["department"]) == ("burst", "repair")
    data = _start(sessions, runtime, {"category": "burst", "department": "operations"})
    assert data["department"] == "operations"


def test_category_sets_the_onsite_deadline_r3(
    sessions: sessionmaker[Session], runtime: Runtime, routed: None
) -> None:
    """R3: burst pipe 30 minutes, meter fault 3 hours, others as their category sets."""
    assert _start(sessions, runtime, {"category": "burst"})["onsite_due"] == "2026-11-23T09:30:00+08:00"
    assert _start(sessions, runtime, {"category": "meter_fault"})["onsite_due"] == "2026-11-23T12:00:00+08:00"
    assert _start(sessions, runtime, {"category": "facility"})["onsite_due"] == "2026-11-23T11:00:00+08:00"
    # a category without its own deadline gets a day
    assert _start(sessions, runtime, {"category": "conduct"})["onsite_due"] == "2026-11-24T09:00:00+08:00"


def test_the_routing_table_changes_and_new_cases_follow_not_the_category_row(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, routed: None
) -> None:
    """Routing lives in the routing table: a new version of it routes the next case, its suggested
    department and the minutes scripts read; the category's own row (no longer edited) routes nothing."""
    with sessions.begin() as session:
        burst = session.get(Category, "burst")
        assert burst is not None
        burst.onsite_minutes, burst.department_code = 5, "billing"
    data = _start(sessions, runtime, {"category": "burst"})
    assert (data["onsite_due"], data["department"], data["routed_to"]) == (
        "2026-11-23T09:30:00+08:00",
        "repair",
        "repair",
    )
    with sessions.begin() as session:
        deploy_decision(session, clock, rerouted("burst", "operations", 20), "routing.dmn", "admin")
    data = _start(sessions, runtime, {"category": "burst"})
    assert (data["onsite_due"], data["department"], data["routed_to"]) == (
        "2026-11-23T09:20:00+08:00",
        "operations",
        "operations",
    )


def test_unknown_or_retired_category_is_refused_and_nothing_written(
    sessions: sessionmaker[Session], runtime: Runtime, routed: None
) -> None:
    with sessions.begin() as session:
        retired = session.get(Category, "manhole")
        assert retired is not None
        retired.active = False
    for value in ("no_such_thing", "manhole"):
        with pytest.raises(FormInvalid) as failure, sessions.begin() as session:
            start_case(session, runtime, "small", OPERATOR, {"category": value})
        assert failure.value.errors["category"].code == "not_option"
        assert failure.value.values["category"] == value
    with sessions() as session:
        assert session.scalars(select(ProcessInstance)).all() == []


def test_datetime_field_is_kept_with_the_hotline_zone(
    sessions: sessionmaker[Session], runtime: Runtime, routed: None
) -> None:
    data = _start(sessions, runtime, {"category": "leak", "visit_at": "2026-11-24T14:30"})
    assert data["visit_at"] == "2026-11-24T14:30:00+08:00"
    with pytest.raises(FormInvalid) as failure, sessions.begin() as session:
        start_case(
            session, runtime, "small", OPERATOR, {"category": "leak", "visit_at": "tomorrow afternoon"}
        )
    assert failure.value.errors["visit_at"].code == "not_datetime"


def test_script_asking_for_an_unknown_category_fails_the_step(
    sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    _deploy(
        sessions,
        runtime,
        linear(script_task("deadline", "due = onsite_minutes('nothing')"), user_task("wait")),
    )
    with pytest.raises(ScriptFailed) as failure, sessions.begin() as session:
        start_case(session, runtime, "small", OPERATOR)
    assert "deadline" in str(failure.value)


def test_seeding_twice_adds_nothing_and_keeps_an_administrators_change(
    sessions: sessionmaker[Session], reference_data: None, clock: SettableClock
) -> None:
    with sessions.begin() as session:
        leak = session.get(Category, "leak")
        assert leak is not None
        leak.name = "漏水(户内)"
    with sessions.begin() as session:
        assert seed_reference_data(session, clock) == 0
        assert session.get(Category, "leak").name == "漏水(户内)"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("properties", "reason"),
    [
        ('<camunda:property id="reference" value="street"/>', "reference 'street'"),
        (
            '<camunda:property id="suggestFrom" value="category"/>',
            "suggestFrom is for a field with reference=department",
        ),
        (
            '<camunda:property id="options_en" value="a:A|zz:Z"/>',
            "options_en names values it does not have: zz",
        ),
    ],
)
def test_bad_reference_properties_refuse_the_diagram(properties: str, reason: str) -> None:
    field = form_field(
        "kind",
        "enum",
        "",
        f'<camunda:properties>{properties}</camunda:properties><camunda:value id="a" name="甲"/>',
    )
    with pytest.raises(DefinitionError) as failure:
        parse_definition(linear(user_task("intake", fields=field)), "bad.bpmn")
    assert "intake" in str(failure.value) and reason in str(failure.value)
