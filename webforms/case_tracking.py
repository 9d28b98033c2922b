"""/track: a caller looks up their case with its number and the last four digits of the phone on it,
without signing in (issue 19). The page shows the procedure, the steps passed and the next one with its
promised time in the caller's language, and nothing else: no staff, no customer data.

A wrong number, wrong digits and an unknown case get the same page, status and text; too many lookups
from one address or of one case number get a 429 that says when to try again (engine.work.case_tracking
keeps the lookups in the database, so the limits hold across web processes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from engine.work import track_case
from webforms.database import unit_of_work

bp = Blueprint("track", __name__)


def _page(status: int = 200, **values: Any) -> Any:
    return render_template("public/track.html", **values), status


@bp.route("/track")
def lookup() -> Any:
    return _page(case_number=request.args.get("case", "").strip()[:40])


@bp.route("/track", methods=["POST"])
def answer() -> Any:
    number = request.form.get("case_number", "")
    with unit_of_work() as uow:
        found = track_case(uow, request.remote_addr or "", number, request.form.get("digits", ""))
        uow.commit()
        if found.limited_until is not None:
            return _page(429, case_number=number.strip()[:40], limited_until=found.limited_until)
        if found.case is None:
            return _page(case_number=number.strip()[:40], not_found=True)
        # Rendered inside the unit: the case's diagram names its steps in the caller's language.
        return _page(case_number=found.case.instance.case_number, tracked=found.case)
