"""Hot spots (热点分析, 冬病夏治): the cases of a period by building, district and category, complaints per
10,000 m² of heated area, the outages of those buildings, and one click from a building to a maintenance
order (a repair case, engine.work.maintenance_orders) for it, before the next heating season: one order
per building and day, so the row shows it once opened."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import FormInvalid, NotAllowed
from engine.supervision import BuildingSpot, Period, hot_spots, local_date, month_period_of
from engine.work import MAINTENANCE_PROCESS, intake_task, open_maintenance_order, orders_of_day
from webforms.database import read_only, reading_session, reads_only, runtime, unit_of_work
from webforms.diagram_names import latest_parsed
from webforms.i18n import localized_name
from webforms.people.auth import roles_required
from webforms.reference.labels import request_reference
from webforms.request_checks import day_arg
from webforms.supervision.period_filter import asked_sensible_period, senseless

bp = Blueprint("hot_spots", __name__)

VIEWERS = ("supervisor", "dispatcher")


def _may_order_maintenance() -> bool:
    """Whether the user may fill in the maintenance procedure's intake (its candidate groups)."""
    parsed = latest_parsed(MAINTENANCE_PROCESS)
    info = intake_task(runtime(), parsed) if parsed is not None else None
    return info is not None and bool(set(info.candidate_groups.split(",")) & current_user.roles)


def _this_month_so_far() -> tuple[date, date]:
    engine = runtime()
    today = local_date(engine.clock.now(), engine.zone)
    month = month_period_of(today)
    return month.first, min(month.last, today)


def _posted_period() -> tuple[date, date]:
    """The period of the page a maintenance order was asked from (its hidden fields, so a day that is no
    day was not sent by the page: 400); this month's so far where it makes no sense."""
    default_first, default_last = _this_month_so_far()
    first, last = day_arg("from", default_first), day_arg("to", default_last)
    return (default_first, default_last) if senseless(first, last) else (first, last)


def _category_names() -> dict[str, str]:
    return {c.code: localized_name(c) for c in request_reference().categories}


@bp.route("/hotspots")
@roles_required(*VIEWERS)
@reads_only
def index() -> Any:
    engine = runtime()
    now = engine.clock.now()
    today = local_date(now, engine.zone)
    month = month_period_of(today)
    asked = asked_sensible_period(*_this_month_so_far())
    first, last = asked.first, asked.last
    period = Period("custom", first, last)
    spots = hot_spots(reading_session(), period, engine.zone, now)
    category_names = _category_names()
    may_order = _may_order_maintenance()
    orders = (
        orders_of_day(reading_session(), [(s.district, s.building) for s in spots.buildings], today)
        if may_order
        else {}
    )
    return render_template(
        "supervision/hot_spots.html",
        spots=spots,
        first=first,
        last=last,
        asked=asked,
        category_names=category_names,
        may_order=may_order,
        orders=orders,
        previous=month.previous(),
        month=month,
        today=today,
    )


def _description(spot: BuildingSpot, first: Any, last: Any) -> str:
    """The maintenance order's description: why this building, with its figures of the period."""
    names = _category_names()
    per_area = "—" if spot.complaints_per_area is None else format(spot.complaints_per_area, ".2f")
    categories = ", ".join(f"{names.get(code, code) or code} {n}" for code, n in spot.top_categories)
    return _(
        "Maintenance before the next heating season (冬病夏治) for %(building)s, a hot spot: %(cases)s calls "
        "between %(first)s and %(last)s, %(complaints)s of them complaints (%(per_area)s per 10,000 m² of "
        "heated area); main categories: %(categories)s.",
        building=spot.district + spot.building,
        cases=spot.cases,
        first=first.isoformat(),
        last=last.isoformat(),
        complaints=spot.complaints,
        per_area=per_area,
        categories=categories or "—",
    )


@bp.route("/hotspots/maintenance", methods=["POST"])
@roles_required(*VIEWERS)
def maintenance_order() -> Any:
    """One click: the building's maintenance order of today, opened now or shown if already open."""
    first, last = _posted_period()
    district = request.form.get("district", "").strip()[:100]
    building = request.form.get("building", "").strip()[:100]
    back = redirect(url_for("hot_spots.index", **{"from": first.isoformat(), "to": last.isoformat()}))
    engine = runtime()
    with read_only() as uow:  # every read in here, before the unit that writes
        if not _may_order_maintenance():
            abort(403)
        spots = hot_spots(uow.session, Period("custom", first, last), engine.zone, engine.clock.now())
        spot = next((s for s in spots.buildings if (s.district, s.building) == (district, building)), None)
        description = _description(spot, first, last) if spot is not None else ""
    if spot is None:
        flash(
            _(
                "%(building)s is not among the hot spots of this period; no order was opened.",
                building=district + building,
            ),
            "error",
        )
        return back
    try:
        with unit_of_work() as uow:
            order = open_maintenance_order(uow, current_user.actor, district, building, description)
            number, first_time = order.instance.case_number, order.first
            uow.commit()
    except (FormInvalid, NotAllowed):
        flash(_("The maintenance order could not be opened: the repair procedure refused it."), "error")
        return back
    if first_time:
        flash(
            _(
                "Maintenance order %(case)s opened for %(building)s.",
                case=number,
                building=district + building,
            ),
            "success",
        )
    else:
        flash(
            _(
                "%(building)s already has today's maintenance order %(case)s; no second one was opened.",
                case=number,
                building=district + building,
            ),
            "info",
        )
    return back
