"""GET /metrics in the Prometheus text format, for whoever watches the installation.

- Request latency: a histogram by endpoint (the route's name, never the address: no case numbers or
  names in labels), method and status. Under gunicorn with several processes, set
  PROMETHEUS_MULTIPROC_DIR (the shipped gunicorn.conf.py does): every process then writes its samples
  to files there and a scrape of any one process adds them all up.
- Figures from the database (timers waiting, due, overdue, their lateness, incidents, open tasks per
  group) are read when scraped, so every process answers the same.

Who may read it: with HOTLINE_METRICS_TOKEN set, a request carrying `Authorization: Bearer <token>`;
without it, only requests from this machine (loopback).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from engine.supervision import operating_figures
from engine.unit_of_work import UnitOfWork

bp = Blueprint("metrics", __name__)

REQUEST_SECONDS = Histogram(
    "hotline_request_duration_seconds",
    "Time to answer a web request, by route, method and status.",
    ["endpoint", "method", "status"],
    registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class DatabaseFigures(Collector):
    """The operating figures, read from the database at each scrape."""

    def __init__(self, app: Flask) -> None:
        self._hotline = app.extensions["hotline"]

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("hotline_database_up", "1 when the database answered this scrape.")
        try:
            with UnitOfWork(self._hotline.sessions, self._hotline.runtime, read_only=True) as uow:
                figures = operating_figures(uow.session, uow.clock.now())
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for name, text, value in (
            ("hotline_timers_waiting", "Timers not yet fired (the timer queue).", figures.waiting_timers),
            ("hotline_timers_due", "Timers due now and not yet fired.", figures.due_timers),
            (
                "hotline_timers_overdue",
                "Timers due for more than a minute and not yet fired.",
                figures.overdue_timers,
            ),
            (
                "hotline_timer_incidents",
                "Timers whose firing failed, waiting for a retry.",
                figures.incidents,
            ),
            (
                "hotline_timers_fired_recent",
                "Timers fired in the last 15 minutes.",
                figures.timers_fired_recently,
            ),
            (
                "hotline_timer_lateness_max_seconds",
                "How late the latest-firing timer of the last 15 minutes fired.",
                figures.worst_lateness_seconds,
            ),
        ):
            yield GaugeMetricFamily(name, text, value=value)
        tasks = GaugeMetricFamily("hotline_open_tasks", "Open tasks by candidate group.", labels=["group"])
        for group, count in sorted(figures.open_tasks_by_group.items()):
            tasks.add_metric([group], count)
        yield tasks


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # every gunicorn process's request samples
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseFigures(app))
    return registry


def _may_read() -> bool:
    token = current_app.config.get("HOTLINE_METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.route("/metrics")
def metrics() -> Any:
    if not _may_read():
        return Response("forbidden\n", status=403, mimetype="text/plain")
    return Response(generate_latest(_registry(current_app)), mimetype=CONTENT_TYPE_LATEST)


def _start_timing() -> None:
    g.hotline_request_started = time.perf_counter()


def _record_timing(response: Response) -> Response:
    started = g.pop("hotline_request_started", None)
    if started is not None and request.endpoint != "metrics.metrics":
        REQUEST_SECONDS.labels(
            request.endpoint or "unmatched", request.method, str(response.status_code)
        ).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timing)
    app.after_request(_record_timing)
