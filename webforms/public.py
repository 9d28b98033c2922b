"""Pages anyone may read without signing in: the outage and restoration notices (O1-O3), and the icon."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from engine.cases import recent_outages
from webforms.database import reading_session, reads_only, runtime

bp = Blueprint("public", __name__)


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers that ask for the icon at its old address get the SVG the pages name."""
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.route("/notices")
@reads_only
def notices() -> Any:
    """One entry per outage with its latest estimate; each notice it published is kept, on demand."""
    outages = recent_outages(reading_session())
    current = [o for o in outages if o.is_current]
    now = runtime().clock.now()
    return render_template("public/notices.html", outages=outages, current=current, now=now)
