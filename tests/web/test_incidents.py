"""Supervisors see failed timers (incidents) with their error and retry them."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db.models import Timer
from engine.runtime import Runtime
from hotline.scheduling import fire_due_timers
from tests.helpers import deadline_diagram, open_cases
from tests.web.support import get, login, submit, switch_user


def test_a_supervisor_sees_an_incident_and_retries_it(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    open_cases(sessions, runtime, 1, deadline_diagram("chased = 1 / 0", key="broken"), key="broken")
    clock.advance(timedelta(minutes=11))
    fire_due_timers(runtime, sessions, "w")
    with sessions() as session:
        timer_id = session.scalars(select(Timer.id).where(Timer.status == "failed")).one()

    login(client, "operator")
    assert get(client, "/incidents").status == 403
    switch_user(client, "supervisor")
    page = get(client, "/incidents")
    assert page.status == 200
    assert "division by zero" in page.text(f"incident-{timer_id}")
    done = submit(client, "/incidents", {}, post_url=f"/incidents/{timer_id}/retry", follow=True)
    assert done.flashes() == ["该定时器将在调度器下一轮重新触发。"]
    assert not done.has(f"incident-{timer_id}")
    with sessions() as session:
        assert session.get(Timer, timer_id).status == "waiting"  # type: ignore[union-attr]
