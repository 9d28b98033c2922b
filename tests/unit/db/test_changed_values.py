"""Which values of a write differ from what the row's object holds (engine.db.changed_values)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm.attributes import set_committed_value

from engine.db import HumanTask, changed_values


def _task(**loaded: object) -> HumanTask:
    task = HumanTask.__mapper__.class_manager.new_instance()
    for name, value in loaded.items():
        set_committed_value(task, name, value)
    return task


def test_values_equal_to_the_loaded_ones_are_left_out() -> None:
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    task = _task(status="open", assignee="wang", due_at=at)
    assert changed_values(task, {"status": "completed", "assignee": "wang", "due_at": at}) == {
        "status": "completed"
    }


def test_a_value_the_object_has_not_loaded_counts_as_changed() -> None:
    task = _task(status="open")
    assert changed_values(task, {"assignee": None, "status": "open"}) == {"assignee": None}


def test_none_stays_none_and_a_new_none_is_a_change() -> None:
    task = _task(assignee=None, completed_by="li")
    assert changed_values(task, {"assignee": None, "completed_by": None}) == {"completed_by": None}
