"""engine.cases.history: data diffs and the case's event log."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from engine.cases.history import case_history, data_diff
from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db.models import ProcessDefinition
from engine.runtime import Runtime
from tests.helpers import OPERATOR, department_handler, intake_form, open_task


def test_diff_of_equal_data_is_empty() -> None:
    assert data_diff({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 2]}) == {}
    assert data_diff({}, {}) == {}


def test_diff_lists_changed_added_and_removed_keys() -> None:
    before = {"same": 1, "changed": "old", "removed": True}
    after = {"same": 1, "changed": "new", "added": 3}
    assert data_diff(before, after) == {
        "added": [None, 3],
        "changed": ["old", "new"],
        "removed": [True, None],
    }


def test_diff_notices_keys_that_appear_or_vanish_with_none() -> None:
    assert data_diff({}, {"note": None}) == {"note": [None, None]}
    assert data_diff({"note": None}, {}) == {"note": [None, None]}


def test_diff_compares_values_not_identity() -> None:
    assert data_diff({"items": [1, 2]}, {"items": [1, 2, 3]}) == {"items": [[1, 2], [1, 2, 3]]}
    assert data_diff({"flag": 0}, {"flag": False}) == {}  # equal in Python, so no change is recorded
    assert data_diff({"flag": None}, {"flag": False}) == {"flag": [None, False]}


def test_diff_keys_are_sorted() -> None:
    assert list(data_diff({}, {"c": 1, "a": 1, "b": 1})) == ["a", "b", "c"]


def test_case_history_is_in_order_and_per_case(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    with sessions.begin() as session:
        first = start_case(session, runtime, "complaint", OPERATOR, intake_form()).id
        other = start_case(session, runtime, "complaint", OPERATOR, intake_form(department="billing")).id
    clock.advance(timedelta(minutes=30))
    with sessions.begin() as session:
        complete_task(
            session,
            runtime,
            open_task(session, first, "department_handling").id,
            department_handler("operations"),
            {"investigation": "检查了管网", "outcome": "resolved", "result": "已修复"},
        )
    with sessions() as session:
        history = case_history(session, first)
        assert {e.instance_id for e in history} == {first}
        assert [e.kind for e in history] == [
            "case_started",
            "task_completed",
            "script_ran",
            "script_ran",
            "script_ran",
            "end_reached",  # the assisting branch, without assisting departments, ends at once
            "task_created",
            "task_claimed_on_completion",
            "task_completed",
            "task_created",
        ]
        assert [e.id for e in history] == sorted(e.id for e in history)
        assert history[-2].at == clock.now() and history[0].at == clock.now() - timedelta(minutes=30)
        assert history[-2].changes["investigation"] == [None, "检查了管网"]
        assert len(case_history(session, other)) == 7  # with the end of the empty assisting branch
