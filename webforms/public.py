"""Pages anyone may read without signing in: the outage and restoration notices (O1-O3)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from engine.notices import recent_notices, restored_case_ids

from .database import db

bp = Blueprint("public", __name__)


@bp.route("/notices")
def notices() -> Any:
    found = recent_notices(db())
    restored = restored_case_ids(db(), [n.instance_id for n in found])
    current = [n for n in found if n.kind == "outage" and n.instance_id not in restored]
    return render_template("notices.html", notices=found, current=current)
