"""GET /metrics (issue 17, a production run): the Prometheus text format, readable from this machine or
with the bearer token; request latency by route; the database's figures read at each scrape; no
personal data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import SettableClock
from engine.db import Timer
from engine.runtime import Runtime
from tests.web.support import build_app, record_case


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain; version=")
    return _samples(answer.get_data(as_text=True))


def test_the_figures_come_from_the_database_at_each_scrape(
    client: FlaskClient, sessions: sessionmaker[Session], runtime: Runtime, clock: SettableClock
) -> None:
    before = _scrape(client)
    assert before[("hotline_database_up", ())] == 1
    number, case_id = record_case(sessions, runtime, customer_name="李秀英", customer_phone="13912345678")
    after = _scrape(client)
    opened = after.get(("hotline_open_tasks", (("group", "operations"),)), 0)
    assert opened == before.get(("hotline_open_tasks", (("group", "operations"),)), 0) + 1

    with sessions() as session:
        due = session.scalars(select(Timer.due_at).where(Timer.instance_id == case_id)).all()
    assert due, "the complaint waits on a deadline timer"
    clock.set(max(due) + timedelta(minutes=5))
    late = _scrape(client)
    assert late[("hotline_timers_due", ())] >= len(due)
    assert late[("hotline_timers_overdue", ())] >= len(due)
    assert late[("hotline_timers_waiting", ())] >= len(due)
    assert late[("hotline_timer_incidents", ())] == 0

    text = client.get("/metrics").get_data(as_text=True)
    assert "李秀英" not in text and "13912345678" not in text and number not in text


def test_request_latency_is_counted_by_route_not_by_address(client: FlaskClient) -> None:
    key = (
        "hotline_request_duration_seconds_count",
        (("endpoint", "public.notices"), ("method", "GET"), ("status", "200")),
    )
    before = _scrape(client).get(key, 0)
    for _ in range(3):
        assert client.get("/notices").status_code == 200
    client.get("/cases/HL-2026-000001-no-such")
    after = _scrape(client)
    assert after[key] == before + 3
    assert not any("HL-2026" in str(labels) for _name, labels in after)


def test_without_a_token_only_this_machine_may_read(client: FlaskClient) -> None:
    refused = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert refused.status_code == 403 and b"hotline_" not in refused.data
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200


def test_with_a_token_set_the_bearer_token_is_needed(
    tmp_path: Path, database_url: str, runtime: Runtime, sessions: sessionmaker[Session], app: Flask
) -> None:
    guarded = build_app(
        tmp_path / "other", database_url, runtime, sessions, metrics_token="s3cret-token"
    ).test_client()
    assert guarded.get("/metrics").status_code == 403, "loopback is not enough once a token is set"
    assert guarded.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    remote = guarded.get(
        "/metrics",
        headers={"Authorization": "Bearer s3cret-token"},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert remote.status_code == 200 and b"hotline_database_up 1.0" in remote.data
