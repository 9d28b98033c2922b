"""The shift handover (O3, M7): open outages with their causes, open complaints, overdue work."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import login_required

from engine.notices import open_cases_of, overdue_tasks

from .database import db, runtime

bp = Blueprint("supervise", __name__)


@bp.route("/handover")
@login_required
def handover() -> Any:
    now = runtime().clock.now()
    return render_template("handover.html", outages=open_cases_of(db(), "outage"),
                           complaints=open_cases_of(db(), "complaint"), overdue=overdue_tasks(db(), now), now=now)
