"""Pages anyone may read without signing in: the outage and restoration notices (O1-O3), and the icon."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from engine.cases import recent_notices, restored_case_ids
from webforms.database import reading_session, reads_only

bp = Blueprint("public", __name__)


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers that ask for the icon at its old address get the SVG the pages name."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/notices")
@reads_only
def notices() -> Any:
    found = recent_notices(reading_session())
    restored = restored_case_ids(reading_session(), [n.instance_id for n in found])
    current, seen = [], set()
    for notice in found:  # newest first: a case's latest estimate only
        if notice.kind == "outage" and notice.instance_id not in restored and notice.instance_id not in seen:
            current.append(notice)
            seen.add(notice.instance_id)
    return render_template("public/notices.html", notices=found, current=current)
