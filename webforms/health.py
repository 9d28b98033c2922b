"""GET /healthz for a load balancer or a monitor: 200 and the checks as JSON when healthy, 503 and what is
wrong otherwise. No sign-in and no personal data (engine.supervision.health)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine.supervision import check_health
from engine.unit_of_work import UnitOfWork
from webforms.database import hotline

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz() -> Any:
    services = hotline()
    health = check_health(lambda: UnitOfWork(services.sessions, services.runtime, read_only=True))
    response = jsonify(health.as_json())
    response.status_code = 200 if health.healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
