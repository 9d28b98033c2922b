"""The scenario driver shared by the procedures' path tests.

A `CaseDriver` runs one case step by step, each step its own unit of work (`with sessions.begin()`),
and clears the engine's workflow cache after each one so the next step really reloads the case from
the database. After every step it checks the open tasks and their candidate groups, the case data
projection and summary columns, and exactly the history events the step wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, due_timer_ids, fire_timer, start_case
from engine.clock import SettableClock
from engine.db.models import HumanTask, ProcessInstance
from engine.errors import FormInvalid, NotAllowed
from engine.runtime import Actor, Runtime
from tests.helpers import events_of, instance_snapshot, open_tasks, timers_of

SYSTEM = "system"
SUMMARY = ("category", "department", "customer_name", "customer_phone", "address", "priority")

# --- expected history events ---------------------------------------------------------------------------

Ev = tuple[str, str, str | None, dict[str, Any]]


def new(**values: Any) -> dict[str, list[Any]]:
    """Changes of keys that did not exist before."""
    return {k: [None, v] for k, v in values.items()}


def completed(actor: Actor, element: str, changes: dict[str, list[Any]]) -> Ev:
    return ("task_completed", actor.username, element, changes)


def claimed_on_completion(actor: Actor, element: str) -> Ev:
    return ("task_claimed_on_completion", actor.username, element, {"assignee": [None, actor.username]})


def created(element: str, groups: str) -> Ev:
    return ("task_created", SYSTEM, element, {"candidate_groups": [None, groups]})


def script(element: str, changes: dict[str, list[Any]]) -> Ev:
    return ("script_ran", SYSTEM, element, changes)


def end(element: str) -> Ev:
    return ("end_reached", SYSTEM, element, {})


def timer_fired(element: str) -> Ev:
    return ("timer_fired", SYSTEM, element, {})


CLOSED: Ev = ("case_closed", SYSTEM, None, {})


# --- the driver ------------------------------------------------------------------------------------------


class CaseDriver:
    """One case driven step by step, with every step checked against what it must have written.

    `task_names` maps each user task's element id to its name (the case's current step shows them).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        runtime: Runtime,
        clock: SettableClock,
        process_key: str,
        task_names: Mapping[str, str],
    ) -> None:
        self.sessions, self.runtime, self.clock = sessions, runtime, clock
        self.process_key, self.task_names = process_key, task_names
        self.id: int | None = None
        self.version = 0
        self.events_seen = 0
        self.data: dict[str, Any] = {}

    # steps -----------------------------------------------------------------------------------------

    def start(
        self, actor: Actor, form: dict[str, Any], *, events: list[Ev], open_now: list[tuple[str, str]]
    ) -> None:
        with self.sessions.begin() as session:
            self.id = start_case(session, self.runtime, self.process_key, actor, form).id
        self._after_step(events, open_now)

    def open_with(
        self, actor: Actor, data: dict[str, Any], *, events: list[Ev], open_now: list[tuple[str, str]]
    ) -> None:
        """A case the system opens itself with these values (a sampled callback, M1), no intake form."""
        with self.sessions.begin() as session:
            self.id = start_case(session, self.runtime, self.process_key, actor, initial_data=data).id
        self.data.update(data)
        self._after_step(events, open_now)

    def complete(
        self,
        element: str,
        actor: Actor,
        values: dict[str, Any],
        *,
        events: list[Ev],
        open_now: list[tuple[str, str]],
        groups: str | None = None,
        results: list[dict[str, Any]] | None = None,
    ) -> None:
        """`groups` picks one instance of a multi-instance step; `results` is then what the step's
        instances have recorded so far (<element>_results), which the case data holds instead of the
        instance's own values."""
        row = self.task(element, groups)
        with self.sessions.begin() as session:
            complete_task(session, self.runtime, row.id, actor, values)
        if row.assignee is None:  # completing an unclaimed task claims it first, in the same unit
            events = [claimed_on_completion(actor, element), *events]
        self._after_step(events, open_now, results_of=None if results is None else (element, results))

    def fire_due_timers(self, *, events: list[Ev], open_now: list[tuple[str, str]]) -> None:
        """What the scheduler does: every due timer in its own transaction."""
        with self.sessions() as session:
            due = due_timer_ids(session, self.clock.now())
        assert due, "no timer is due"
        for timer_id in due:
            with self.sessions.begin() as session:
                assert fire_timer(session, self.runtime, timer_id) is not None
        self._after_step(events, open_now, units=len(due))

    def refused(
        self, element: str, actor: Actor, values: dict[str, Any], error: type[Exception]
    ) -> Exception:
        """A step that must fail and write nothing."""
        before = self.snapshot()
        with pytest.raises(error) as failure, self.sessions.begin() as session:
            complete_task(session, self.runtime, self.task(element).id, actor, values)
        self.runtime.workflows.clear()
        assert self.snapshot() == before
        return failure.value

    # checks ----------------------------------------------------------------------------------------

    def _after_step(
        self,
        events: list[Ev],
        open_now: list[tuple[str, str]],
        units: int = 1,
        results_of: tuple[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.runtime.workflows.clear()  # the next step must reload the case from the database
        self.version += units
        for kind, _actor, element, changes in events:
            if results_of is not None and kind == "task_completed" and element == results_of[0]:
                self.data[f"{element}_results"] = results_of[1]
            elif kind in ("task_completed", "script_ran"):
                self.data.update({key: after for key, (_before, after) in changes.items()})
        with self.sessions() as session:
            instance = self.instance(session)
            assert [(t.element_id, t.candidate_groups) for t in open_tasks(session, instance.id)] == open_now
            assert [sorted(g.group_name for g in t.groups) for t in open_tasks(session, instance.id)] == [
                [g for g in groups.split(",") if g] for _e, groups in open_now
            ]
            assert self.new_events(session) == events
            assert instance.version == self.version
            assert instance.data == self.data
            assert {f: getattr(instance, f) for f in SUMMARY} == {
                f: None if self.data.get(f) is None else str(self.data[f]) for f in SUMMARY
            }
            # The open steps' names, in the engine's order (parallel branches may list them otherwise).
            assert sorted((instance.current_step or "").split("、")) == sorted(
                "、".join(self.task_names[e] for e, _g in open_now).split("、")
            )
            assert instance.updated_at == self.clock.now()
            if open_now:
                assert (instance.status, instance.closed_at) == ("running", None)

    def new_events(self, session: Session) -> list[Ev]:
        events = events_of(session, self.id)
        fresh = events[self.events_seen :]
        self.events_seen = len(events)
        assert all(e.at == self.clock.now() for e in fresh)
        return [(e.kind, e.actor, e.element_id, e.changes) for e in fresh]

    def instance(self, session: Session) -> ProcessInstance:
        instance = session.get(ProcessInstance, self.id)
        assert instance is not None
        return instance

    def task(self, element: str, groups: str | None = None) -> HumanTask:
        """The open task of the element; of a multi-instance step, the instance of these groups."""
        with self.sessions() as session:
            (row,) = [
                t
                for t in open_tasks(session, self.id)
                if t.element_id == element and groups in (None, t.candidate_groups)
            ]
            return row

    def timers(self) -> list[tuple[str, datetime, str]]:
        with self.sessions() as session:
            return [(t.element_id, t.due_at, t.status) for t in timers_of(session, self.id)]

    def snapshot(self) -> dict[str, Any]:
        with self.sessions() as session:
            return instance_snapshot(session, self.id)


# --- shared stretches: the dispatcher's review of a send-back (退单/改派, C4) ------------------------------------


def refuse_wrong_approvals(
    case: CaseDriver, sender: Actor, dispatcher: Actor, own: str, other: str
) -> FormInvalid:
    """C4: the sender cannot approve its own send-back, an approval names the new department, and a
    department other than the one that sent it back. Returns the last refusal, for its message."""
    case.refused(
        "review_sendback",
        sender,
        {"sendback_decision": "approve", "redispatch_department": other},
        NotAllowed,
    )
    case.refused("review_sendback", dispatcher, {"sendback_decision": "approve"}, FormInvalid)
    same = case.refused(
        "review_sendback",
        dispatcher,
        {"sendback_decision": "approve", "redispatch_department": own},
        FormInvalid,
    )
    assert isinstance(same, FormInvalid)
    return same


def approve_sendback(
    case: CaseDriver,
    dispatcher: Actor,
    department: str,
    *,
    redispatched: dict[str, list[Any]],
    open_now: tuple[str, str],
) -> None:
    """C4: the dispatcher approves the send-back and names the department that takes the case;
    `redispatched` is what the redispatch script changes, `open_now` the step that opens."""
    case.complete(
        "review_sendback",
        dispatcher,
        {"sendback_decision": "approve", "redispatch_department": department, "review_comment": ""},
        events=[
            completed(
                dispatcher,
                "review_sendback",
                new(redispatch_department=department, review_comment=None, sendback_decision="approve"),
            ),
            script("redispatch", redispatched),
            created(*open_now),
        ],
        open_now=[open_now],
    )


def reject_sendback(
    case: CaseDriver,
    dispatcher: Actor,
    comment: str,
    *,
    restored: dict[str, list[Any]],
    open_now: tuple[str, str],
) -> None:
    """C4: the dispatcher rejects the send-back, saying why; `restored` is what the reject_sendback
    script changes, `open_now` the step the case goes back to."""
    case.complete(
        "review_sendback",
        dispatcher,
        {"sendback_decision": "reject", "review_comment": comment},
        events=[
            completed(
                dispatcher,
                "review_sendback",
                new(redispatch_department=None, review_comment=comment, sendback_decision="reject"),
            ),
            script("reject_sendback", restored),
            created(*open_now),
        ],
        open_now=[open_now],
    )
