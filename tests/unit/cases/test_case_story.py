"""engine.cases.story and the case page's embedding: which diagram elements a case has completed, is
at, is late at or failed at, and how late each deadline was (C4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from engine.cases.story import case_deadlines, case_markers
from webforms.supervision.case_page import embeddable_xml

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def event(kind: str, element_id: str | None) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, element_id=element_id)


def task(
    element_id: str,
    status: str,
    due: datetime | None = None,
    completed: datetime | None = None,
    name: str = "",
) -> SimpleNamespace:
    return SimpleNamespace(
        element_id=element_id, status=status, due_at=due, completed_at=completed, name=name or element_id
    )


def timer(element_id: str, status: str, due: datetime, fired: datetime | None = None) -> SimpleNamespace:
    return SimpleNamespace(element_id=element_id, status=status, due_at=due, fired_at=fired)


def test_markers_of_a_case_with_a_completed_step_an_overdue_task_and_a_failed_timer() -> None:
    events = [
        event("case_started", None),
        event("task_completed", "intake"),
        event("task_created", "handling"),
        event("script_ran", "set_deadline"),
        event("incident_raised", "deadline"),
    ]
    tasks = [
        task("intake", "completed", completed=NOW - timedelta(hours=3)),
        task("handling", "open", due=NOW - timedelta(minutes=5)),
    ]
    timers = [
        timer("deadline", "failed", NOW - timedelta(minutes=5)),
        timer("reminder", "waiting", NOW + timedelta(hours=1)),
    ]

    markers = case_markers(events, tasks, timers, NOW, start_ids=["start"])

    assert markers == {
        "completed": ["intake", "set_deadline", "start"],
        "active": ["handling", "reminder"],
        "overdue": ["handling"],
        "failed": ["deadline"],
    }


def test_a_task_that_runs_again_is_active_not_completed_and_not_overdue_before_its_due_time() -> None:
    """A case sent back to the department (C5): the task completed once is open again."""
    tasks = [
        task("handling", "completed", completed=NOW - timedelta(hours=2)),
        task("handling", "open", due=NOW + timedelta(minutes=1)),
        task("dispatch", "cancelled"),
    ]
    markers = case_markers([event("task_completed", "handling")], tasks, [], NOW)
    assert markers == {"completed": [], "active": ["handling"], "overdue": [], "failed": []}


def test_a_fired_deadline_is_completed_and_a_cancelled_one_is_not_marked() -> None:
    timers = [
        timer("reply_deadline", "fired", NOW - timedelta(hours=1), NOW - timedelta(minutes=59)),
        timer("dispatch_deadline", "cancelled", NOW + timedelta(minutes=1), NOW - timedelta(minutes=2)),
    ]
    markers = case_markers([], [], timers, NOW)
    assert markers["completed"] == ["reply_deadline"] and markers["active"] == [] and markers["failed"] == []


def test_lateness_of_every_deadline_C4() -> None:
    """C4: how late each step was: done − due when done late, now − due while still open, zero when on time."""
    tasks = [
        task("on_time", "completed", due=NOW - timedelta(hours=2), completed=NOW - timedelta(hours=3)),
        task(
            "late", "completed", due=NOW - timedelta(hours=5), completed=NOW - timedelta(hours=2, minutes=30)
        ),
        task("still_open", "open", due=NOW - timedelta(minutes=45)),
        task("no_deadline", "open"),
    ]
    timers = [
        timer(
            "deadline", "fired", NOW - timedelta(hours=4), NOW - timedelta(hours=4) + timedelta(seconds=30)
        ),
        timer("broken", "failed", NOW - timedelta(minutes=10)),
    ]
    found = {d.element_id: d for d in case_deadlines(tasks, timers, NOW, {"deadline": "答复时限"})}

    assert set(found) == {"on_time", "late", "still_open", "deadline", "broken"}
    assert found["on_time"].late_by == timedelta(0) and not found["on_time"].is_late
    assert found["late"].late_by == timedelta(hours=2, minutes=30) and not found["late"].is_open
    assert found["still_open"].late_by == timedelta(minutes=45) and found["still_open"].is_open
    assert found["deadline"].late_by == timedelta(seconds=30) and found["deadline"].name == "答复时限"
    assert found["broken"].late_by == timedelta(minutes=10) and found["broken"].is_open
    assert [d.element_id for d in case_deadlines(tasks, timers, NOW, {})][0] == "late"  # by due time


BPMN = '<?xml version="1.0"?><definitions xmlns="urn:x"><process id="p">{}</process></definitions>'


def test_ordinary_diagram_xml_is_embedded_unchanged() -> None:
    xml = BPMN.format('<task id="a" name="x &lt; y"/>')
    assert str(embeddable_xml(xml)) == xml


@pytest.mark.parametrize(
    "inside",
    [
        "<documentation><![CDATA[</script><script>alert(1)</script>]]></documentation>",
        "<!-- <script> -->",
        "<documentation>&lt;/script&gt;</documentation>",
    ],
)
def test_diagram_xml_cannot_end_the_script_element_it_is_embedded_in(inside: str) -> None:
    embedded = embeddable_xml(BPMN.format(inside))
    assert embedded is not None
    assert "</script" not in embedded.lower() and "<!--" not in embedded and "<script" not in embedded.lower()
    assert 'id="p"' in embedded


def test_an_element_named_script_is_not_embedded() -> None:
    assert embeddable_xml(BPMN.format("<scriptTask id='s'><script>x = 1</script></scriptTask>")) is None
