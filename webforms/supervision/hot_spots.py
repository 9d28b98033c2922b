"""Hot spots (热点分析, 冬病夏治): the cases of a period by building, district and category, complaints per
10,000 m² of heated area, the outages of those buildings, and one click from a building to a repair
intake with the building filled in, for maintenance before the next heating season."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from engine.supervision import Period, hot_spots, local_date, month_period_of
from engine.work import intake_task
from webforms.database import reading_session, reads_only, runtime
from webforms.diagram_names import latest_parsed
from webforms.i18n import localized_name
from webforms.people.auth import roles_required
from webforms.reference.labels import request_reference
from webforms.request_checks import day_arg

bp = Blueprint("hot_spots", __name__)

VIEWERS = ("supervisor", "dispatcher")
MAX_DAYS = 400
MAINTENANCE_PROCESS = "repair"


def _may_order_maintenance() -> bool:
    """Whether the user may fill in the maintenance procedure's intake (its candidate groups)."""
    parsed = latest_parsed(MAINTENANCE_PROCESS)
    info = intake_task(runtime(), parsed) if parsed is not None else None
    return info is not None and bool(set(info.candidate_groups.split(",")) & current_user.roles)


@bp.route("/hotspots")
@roles_required(*VIEWERS)
@reads_only
def index() -> Any:
    engine = runtime()
    now = engine.clock.now()
    today = local_date(now, engine.zone)
    month = month_period_of(today)
    first, last = day_arg("from", month.first), day_arg("to", min(month.last, today))
    if last < first or (last - first).days > MAX_DAYS:
        flash(
            _("Choose a period of at most %(days)s days whose end is not before its start.", days=MAX_DAYS),
            "error",
        )
        first, last = month.first, min(month.last, today)
    period = Period("custom", first, last)
    spots = hot_spots(reading_session(), period, engine.zone, now)
    reference = request_reference()
    category_names = {c.code: localized_name(c) for c in reference.categories}
    return render_template(
        "supervision/hot_spots.html",
        spots=spots,
        first=first,
        last=last,
        category_names=category_names,
        may_order=_may_order_maintenance(),
        maintenance_process=MAINTENANCE_PROCESS,
        previous=month.previous(),
        month=month,
        today=today,
    )
