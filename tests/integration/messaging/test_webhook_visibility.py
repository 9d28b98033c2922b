"""A webhook tells a client only of the cases it could read through the API (docs/access.md, the rule
of engine.cases.case_access as the client acts: its role and departments), and of every outage notice
(public). A pause or removal made by another process is seen by the next unit of work: the
subscriptions' stamp comes with the case's lock. A real HTTP receiver on loopback takes the deliveries;
each client's subscription has its own path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.cases.runner import complete_task, start_case
from engine.clock import SettableClock
from engine.db import ApiClient, ProcessDefinition
from engine.messaging import (
    WebhookGateway,
    add_subscription,
    delete_subscription,
    send_due_messages,
    set_paused,
    subscriptions_stamp,
)
from engine.people import add_api_client
from engine.runtime import Runtime
from engine.unit_of_work import UnitOfWork
from tests.helpers import OPERATOR, department_handler, intake_form, open_task
from tests.messaging_servers import HttpGateway, Received, running

EVENTS = ["case.opened", "task.created", "task.completed", "case.closed", "outage.published"]
# name: (role, departments)
CLIENTS: dict[str, tuple[str, list[str]]] = {
    "phone-system": ("operator", []),  # reads every case (first contact, S3)
    "watch": ("supervisor", []),  # reads every case
    "ops-bridge": ("liaison", ["operations"]),  # the complaint's department
    "billing-bridge": ("liaison", ["billing"]),  # no part in the complaint
    "liaison-app": ("liaison", []),  # no department at all
}


def _subscribe(sessions: sessionmaker[Session], runtime: Runtime, url: str) -> dict[str, int]:
    made = {}
    with UnitOfWork(sessions, runtime) as uow:
        for name, (role, departments) in CLIENTS.items():
            client = add_api_client(
                uow,
                "admin",
                name,
                scopes=["webhooks:manage"],
                role=role,
                departments=departments,
                expires_at=uow.clock.now() + timedelta(days=365),
            ).client
            made[name] = add_subscription(uow, "admin", client, f"{url}/{name}", EVENTS).subscription.id
        uow.commit()
    return made


def _received(
    sessions: sessionmaker[Session], runtime: Runtime, got: list[Received]
) -> dict[str, list[tuple[str, Any]]]:
    units: Callable[[], UnitOfWork] = lambda: UnitOfWork(sessions, runtime)  # noqa: E731
    send_due_messages(units, {"webhook": WebhookGateway(units, timeout=5)}, "w1")
    by_client: dict[str, list[tuple[str, Any]]] = {name: [] for name in CLIENTS}
    for r in got:
        body = r.json()
        by_client[r.path.rsplit("/", 1)[-1]].append((body["event"], body["data"].get("element_id")))
    got.clear()
    return by_client


def _handle_in_operations(sessions: sessionmaker[Session], runtime: Runtime, instance_id: int) -> None:
    """The operations department answers the case's department step (resolved)."""
    with sessions() as session:
        task_id = open_task(session, instance_id, "department_handling").id
    with UnitOfWork(sessions, runtime) as uow:
        complete_task(
            uow.session,
            runtime,
            task_id,
            department_handler("operations"),
            {"investigation": "检查了管网", "outcome": "resolved", "result": "已修复"},
        )
        uow.commit()


def test_a_client_gets_the_events_of_the_cases_its_role_and_departments_may_read(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    got: list[Received] = []
    with running(HttpGateway(lambda r: (got.append(r), (200, {}))[1])) as server:
        _subscribe(sessions, runtime, server.url)
        with UnitOfWork(sessions, runtime) as uow:
            instance_id = start_case(uow.session, runtime, "complaint", OPERATOR, intake_form()).id
            uow.commit()
        opened = _received(sessions, runtime, got)
        everything = opened["phone-system"]
        assert ("case.opened", None) in everything and ("task.completed", "intake") in everything
        assert opened["watch"] == everything
        assert opened["ops-bridge"] == everything  # routed to operations: its department reads it
        assert opened["billing-bridge"] == [] and opened["liaison-app"] == []
        _handle_in_operations(sessions, runtime, instance_id)
        handled = _received(sessions, runtime, got)
    assert ("task.completed", "department_handling") in handled["ops-bridge"]
    assert handled["ops-bridge"] == handled["phone-system"] != []
    assert handled["billing-bridge"] == [] and handled["liaison-app"] == []


def test_an_outage_notice_is_public_but_the_outage_case_is_not(
    sessions: sessionmaker[Session],
    runtime: Runtime,
    clock: SettableClock,
    reference_data: None,
    deploy_process: Callable[[str], ProcessDefinition],
) -> None:
    from tests.integration.messaging.test_outage_messages import _form, _start

    deploy_process("outage")
    got: list[Received] = []
    with running(HttpGateway(lambda r: (got.append(r), (200, {}))[1])) as server:
        _subscribe(sessions, runtime, server.url)
        _start(sessions, runtime, _form())
        received = _received(sessions, runtime, got)
    assert received["billing-bridge"] == [("outage.published", None)]
    assert received["liaison-app"] == [("outage.published", None)]
    # the outage's tasks are for the dispatchers and operations: that department reads the case
    assert ("case.opened", None) in received["ops-bridge"] and ("case.opened", None) in received["watch"]


def test_a_pause_or_removal_made_in_another_process_stops_deliveries_at_the_next_step(
    sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock, deployed: ProcessDefinition
) -> None:
    """The web pauses with its own runtime (another process: this one's cache is not told); the
    worker's next unit sees the stamp changed and reads the subscriptions again."""
    web = Runtime(clock=clock)
    got: list[Received] = []
    with running(HttpGateway(lambda r: (got.append(r), (200, {}))[1])) as server:
        made = _subscribe(sessions, runtime, server.url)
        with UnitOfWork(sessions, runtime) as uow:
            instance_id = start_case(uow.session, runtime, "complaint", OPERATOR, intake_form()).id
            uow.commit()
        assert _received(sessions, runtime, got)["phone-system"]  # the worker's cache now holds them
        with UnitOfWork(sessions, web) as uow:
            clients = {c.name: c for c in uow.session.scalars(select(ApiClient))}
            set_paused(uow, "admin", clients["phone-system"], made["phone-system"], True)
            delete_subscription(uow, "admin", clients["watch"], made["watch"])
            uow.commit()
        _handle_in_operations(sessions, runtime, instance_id)
        received = _received(sessions, runtime, got)
    assert received["phone-system"] == [] and received["watch"] == []
    assert received["ops-bridge"]  # the others go on


def _stamp(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(subscriptions_stamp())) or 0)


@pytest.mark.real_commits
def test_the_stamp_changes_when_a_change_commits_after_a_later_one(
    database_url: str, sessions: sessionmaker[Session], runtime: Runtime, reference_data: None
) -> None:
    """Two administrators at once: the pause that drew the lower audit id commits last. The stamp must
    change when it commits all the same, or a process that read the subscriptions in between keeps
    delivering to the paused one (the largest id, say, would not change: it is the other's)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("transactions writing side by side need PostgreSQL (SQLite serialises writers)")
    made = _subscribe(sessions, runtime, "http://127.0.0.1:9/hooks")
    with UnitOfWork(sessions, runtime) as first:
        clients = {c.name: c for c in first.session.scalars(select(ApiClient))}
        set_paused(first, "admin", clients["watch"], made["watch"], True)
        first.session.flush()  # its audit row takes its id now
        with UnitOfWork(sessions, runtime) as second:
            set_paused(second, "admin", clients["phone-system"], made["phone-system"], True)
            second.commit()
        between = _stamp(sessions)
        first.commit()
    assert _stamp(sessions) != between
