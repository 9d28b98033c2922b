"""Reference data read only when it changed (engine.reference.stamp): every path that writes the
departments, categories or case sources records an administrative change, so the next unit of work in
any process sees the change although it does not read the tables while their stamp stands still."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import start_case
from engine.clock import SettableClock
from engine.db.models import AdminAudit, Category, ProcessDefinition
from engine.errors import FormInvalid
from engine.reference import forget_snapshots, unit_reference
from engine.reference.admin import (
    add_case_source,
    add_department,
    save_case_source,
    save_category,
    save_department,
)
from engine.reference.data import seed_reference_data
from engine.runtime import Runtime
from tests.helpers import OPERATOR, intake_form

ADMIN = "admin"
NEW_CATEGORY = {"name": "热计量", "department_code": "operations", "domain": "heating", "active": "on"}


def _opens(sessions: sessionmaker[Session], runtime: Runtime, **form: Any) -> bool:
    """Whether a complaint with this intake opens (False: its form is refused)."""
    try:
        with sessions.begin() as session:
            start_case(session, runtime, "complaint", OPERATOR, intake_form(**form))
    except FormInvalid:
        return False
    return True


def _change(sessions: sessionmaker[Session], write: Callable[[Session], dict]) -> None:
    with sessions.begin() as session:
        assert not write(session)


@pytest.fixture
def cached(sessions: sessionmaker[Session], runtime: Runtime, deployed: ProcessDefinition) -> None:
    """A case opened: this process holds a snapshot of the reference data as it is now."""
    assert _opens(sessions, runtime)


@pytest.mark.usefixtures("cached")
def test_a_category_added_or_retired_is_seen_by_the_next_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    assert not _opens(sessions, runtime, category="heat_metering")
    _change(sessions, lambda s: save_category(s, clock, ADMIN, "heat_metering", NEW_CATEGORY, new=True))
    assert _opens(sessions, runtime, category="heat_metering")
    retired = {**NEW_CATEGORY, "active": ""}
    _change(sessions, lambda s: save_category(s, clock, ADMIN, "heat_metering", retired, new=False))
    assert not _opens(sessions, runtime, category="heat_metering")


@pytest.mark.usefixtures("cached")
def test_a_department_added_or_retired_is_seen_by_the_next_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    assert not _opens(sessions, runtime, department="night_shift")
    _change(sessions, lambda s: add_department(s, clock, ADMIN, {"code": "night_shift", "name": "夜班"}))
    _change(sessions, lambda s: add_department(s, clock, ADMIN, {"code": "weekend_shift", "name": "周末班"}))
    assert _opens(sessions, runtime, department="night_shift")  # a snapshot with both
    _change(sessions, lambda s: save_department(s, clock, ADMIN, "weekend_shift", {"name": "周末班"}))
    assert not _opens(sessions, runtime, department="weekend_shift")


@pytest.mark.usefixtures("cached")
def test_a_case_source_added_or_retired_is_seen_by_the_next_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    assert not _opens(sessions, runtime, case_source="water_bureau")
    _change(sessions, lambda s: add_case_source(s, clock, ADMIN, {"code": "water_bureau", "name": "水务局"}))
    assert _opens(sessions, runtime, case_source="water_bureau")
    _change(sessions, lambda s: save_case_source(s, clock, ADMIN, "water_bureau", {"name": "水务局"}))
    assert not _opens(sessions, runtime, case_source="water_bureau")


def test_a_default_seeded_again_is_seen_by_the_next_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:
        session.execute(delete(Category).where(Category.code == "quality"))
    forget_snapshots()  # a process started after the row was gone (deleting one is no use case)
    assert not _opens(sessions, runtime, category="quality")
    with sessions.begin() as session:
        assert seed_reference_data(session, clock, "init-db") == 1
        [seeded] = session.scalars(select(AdminAudit).where(AdminAudit.actor == "init-db"))
        assert (seeded.action, seeded.subject_kind) == ("reference_seeded", "reference_data")
        assert seeded.changes == {"categories": [None, 1]}
    assert _opens(sessions, runtime, category="quality")


@pytest.mark.usefixtures("cached")
def test_a_transaction_reads_its_own_change_and_a_rolled_back_one_is_never_seen(
    sessions: sessionmaker[Session], clock: SettableClock
) -> None:
    with sessions() as session:
        before = unit_reference(session)
        assert before.category("heat_metering") is None
        assert not save_category(session, clock, ADMIN, "heat_metering", NEW_CATEGORY, new=True)
        assert unit_reference(session).category("heat_metering") is not None
        session.rollback()
    # Another change commits: the stamp reaches the number the rolled-back one had read.
    _change(sessions, lambda s: save_category(s, clock, ADMIN, "district_heating", NEW_CATEGORY, new=True))
    with sessions() as session:
        reference = unit_reference(session)
        assert reference.category("district_heating") is not None
        assert reference.category("heat_metering") is None
