"""The overdue board for supervisors and heads of department: what is late or nearly late, grouped by
who has to act, and the incidents (failed deadlines) with their retry. The page refreshes itself."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from engine.cases import chases_by_department, timers_by_state
from engine.supervision import board_group_names, overdue_board
from engine.work import recent_group_alerts
from webforms.database import reading_session, reads_only, runtime
from webforms.people.auth import roles_required

bp = Blueprint("board", __name__, url_prefix="/board")
BOARD_ROLES = ("supervisor", "admin", "department_head")
REFRESH_SECONDS = 45
# Chases received (graded deadlines' escalations) are counted over this many days beside each group.
CHASE_DAYS = 30


@bp.app_context_processor
def _board_roles() -> dict[str, Any]:
    return {"board_roles": BOARD_ROLES}


@bp.route("")
@roles_required(*BOARD_ROLES)
@reads_only
def index() -> Any:
    now = runtime().clock.now()
    chosen = request.args.get("group", "").strip()[:300]
    # Only the cases this person may open (a department head: their department's); supervisors all.
    actor = current_user.actor
    incidents = timers_by_state(reading_session(), now, limit=100, actor=actor)
    board = overdue_board(reading_session(), now, chosen, actor=actor)
    received = chases_by_department(reading_session(), now - timedelta(days=CHASE_DAYS), now)
    return render_template(
        "supervision/board.html",
        board=board,
        group_names=board_group_names(reading_session(), now, actor),
        chosen=chosen,
        failed=incidents["failed"],
        stuck=incidents["overdue"],
        now=now,
        refresh_seconds=REFRESH_SECONDS,
        chases={g.groups: sum(received.get(name, 0) for name in g.groups.split(",")) for g in board},
        chase_days=CHASE_DAYS,
        # 群体性诉求 of the last day: many calls from one building.
        group_alerts=recent_group_alerts(reading_session(), now),
    )
