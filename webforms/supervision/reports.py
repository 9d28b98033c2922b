"""Supervisors' figures: the KPIs with their definitions and charts (M4), the weekly (M2) and monthly
(M3) reports with their CSV and XLSX downloads, the notable cases of a month, and the weekly callback
samples (M1). Supervisors only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape

from engine.errors import NotFound
from engine.supervision import (
    KPI_NAMES,
    MAX_NOTABLE,
    SAMPLE_RATE,
    Period,
    choose_notable_cases,
    covered_span,
    get_report,
    kpi_table,
    list_reports,
    list_samples,
    local_date,
    month_period_of,
    next_due,
    on_the_spot_table,
    period_sampled_summary,
    report_tables,
    sendback_table,
    verify_draw,
)
from webforms.database import reading_session, reads_only, runtime, unit_of_work
from webforms.i18n import catalog_text, current_language, label_colon, localized_name
from webforms.people.auth import roles_required
from webforms.reference.labels import request_reference
from webforms.supervision.downloads import table_download
from webforms.supervision.period_filter import asked_sensible_period

bp = Blueprint("reports", __name__)

SUPERVISORS = ("supervisor",)

KPI_LABELS = {
    "satisfaction": _l("Satisfaction rate"),
    "timeliness": _l("Response timeliness rate"),
    "resolution": _l("Resolution rate"),
    "complaint_handling": _l("Complaint handling rate"),
}
KPI_DEFINITIONS = {
    "satisfaction": _l(
        "Callback answers “satisfied” ÷ all callback answers recorded in the period: every answer "
        "given at a complaint, repair or liaison callback and every reached customer's answer at a "
        "sampled callback."
    ),
    "timeliness": _l(
        "Deadlines met ÷ deadlines judged: every task deadline in the period (dispatch in 3 minutes, "
        "on site in time, same-day reply, promised reply time, …) that has passed or whose task is "
        "done; met when the task was completed by its due time. A paused task counts its deadline moved "
        "by the working time it was paused, and is not judged while paused."
    ),
    "resolution": _l("Cases received in the period and closed by now ÷ cases received in the period."),
    "complaint_handling": _l(
        "Complaints received in the period that the department has replied to (handled and "
        "answered) ÷ complaints received in the period."
    ),
}
NOTABLE_PROBLEMS = {
    "unknown": _l("There is no hotline case %(case)s."),
    "outside_period": _l("Case %(case)s was not received in this report's period."),
    "too_many": _l("Choose at most %(max)s notable cases."),
}


def _name(rows: Any, code: str) -> str:
    for row in rows:
        if row.code == code:
            return localized_name(row)
    return code or _("(no category)")


def svg_bar_chart(chart_id: str, title: str, bars: list[tuple[str, float | None, str]]) -> Markup:
    """A horizontal bar chart of rates (0…1) as inline SVG: one bar per row, its value written beside
    it; a row without a rate shows '—' and no bar. No script needed."""
    # Drawn about as wide as a chart's card, so the 14-unit text reads at about 14 px on a desktop and
    # no smaller than 11 px on a phone (the picture scales down with its card, never up).
    label_width, bar_width, value_width, row_height, top = 150, 110, 108, 28, 4
    width = label_width + bar_width + value_width
    height = top + row_height * max(1, len(bars)) + 8
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value, caption) in enumerate(bars):
        y = top + index * row_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end" class="chart-label">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 5}" width="{bar_width}" height="18" class="chart-track"/>'
        )
        if value is not None:
            filled = round(bar_width * max(0.0, min(1.0, value)), 1)
            parts.append(
                f'<rect x="{label_width}" y="{y + 5}" width="{filled}" height="18" class="chart-bar" '
                f'data-value="{value:.4f}"><title>{escape(label)}{label_colon()}{escape(caption)}</title></rect>'
            )
        parts.append(
            f'<text x="{label_width + bar_width + 8}" y="{y + 18}" class="chart-value">{escape(caption)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@bp.route("/kpi")
@roles_required(*SUPERVISORS)
@reads_only
def kpi() -> Any:
    """M4: the four KPIs of a period by department or category, with charts and their definitions."""
    engine = runtime()
    now = engine.clock.now()
    today = local_date(now, engine.zone)
    month = month_period_of(today)
    asked = asked_sensible_period(month.first, min(month.last, today))
    first, last = asked.first, asked.last
    group_by = request.args.get("group", "department")
    if group_by not in ("department", "category"):
        abort(400)
    reference = request_reference()
    department = request.args.get("department", "") or None
    category = request.args.get("category", "") or None
    if department and all(d.code != department for d in reference.departments):
        abort(400)
    if category and reference.category(category) is None:
        abort(400)
    period = Period("custom", first, last)
    table = kpi_table(reading_session(), period, engine.zone, now, reference, group_by, department, category)
    sampled = period_sampled_summary(reading_session(), period, engine.zone, now)
    sendbacks = sendback_table(reading_session(), period, engine.zone, now, reference)
    if department:
        sendbacks.rows = {code: counts for code, counts in sendbacks.rows.items() if code == department}
    categories = (
        ({category} | {c.code for c in reference.categories if c.parent_code == category})
        if category
        else None
    )
    on_the_spot = on_the_spot_table(
        reading_session(), period, engine.zone, now, reference, group_by, department, categories
    )
    rows_of = reference.departments if group_by == "department" else reference.categories
    labels = {code: _name(rows_of, code) for code in [*table.rows, *on_the_spot.rows]}
    charts = {}
    for name in KPI_NAMES:
        bars = [
            (
                labels[code],
                counts.rates[name].value,
                f"{counts.rates[name].percent} ({counts.rates[name].part}/{counts.rates[name].whole})",
            )
            for code, counts in table.rows.items()
        ]
        total = table.total.rates[name]
        bars.append((_("Total"), total.value, f"{total.percent} ({total.part}/{total.whole})"))
        charts[name] = svg_bar_chart(f"chart-{name}", str(KPI_LABELS[name]), bars)
    presets = {
        "this_week": (today - timedelta(days=today.weekday()), today),
        "last_week": (
            today - timedelta(days=today.weekday() + 7),
            today - timedelta(days=today.weekday() + 1),
        ),
        "this_month": (month.first, min(month.last, today)),
        "last_month": (month.previous().first, month.previous().last),
    }
    return render_template(
        "supervision/kpi.html",
        table=table,
        sampled=sampled,
        sendbacks=sendbacks,
        department_names={d.code: localized_name(d) for d in reference.departments},
        on_the_spot=on_the_spot,
        labels=labels,
        charts=charts,
        kpi_names=KPI_NAMES,
        kpi_labels=KPI_LABELS,
        kpi_definitions=KPI_DEFINITIONS,
        asked=asked,
        first=first,
        last=last,
        group_by=group_by,
        department=department or "",
        category=category or "",
        reference=reference,
        presets=presets,
        now=now,
    )


@bp.route("/reports")
@roles_required(*SUPERVISORS)
@reads_only
def index() -> Any:
    """The reports made so far, when the next ones fall due, and the weekly callback samples (M1)."""
    engine = runtime()
    now = engine.clock.now()
    samples = list_samples(reading_session(), limit=20)
    return render_template(
        "supervision/reports.html",
        reports=list_reports(reading_session()),
        samples=samples,
        verified={s.id: verify_draw(s) for s in samples},
        sample_rate=SAMPLE_RATE,
        next_weekly=next_due("weekly", now, engine.zone),
        next_monthly=next_due("monthly", now, engine.zone, engine.messaging.monthly_report_at),
        monthly_at=f"{engine.messaging.monthly_report_at:%H:%M}",
    )


def _report(report_id: int) -> Any:
    try:
        return get_report(reading_session(), report_id)
    except NotFound:
        abort(404)


@bp.route("/reports/<int:report_id>")
@roles_required(*SUPERVISORS)
@reads_only
def show(report_id: int) -> Any:
    report = _report(report_id)
    zone = runtime().zone
    covered_from, covered_to = covered_span(report, zone)
    tables = report_tables(
        report.kind,
        report.content,
        report.notable_cases,
        current_language(),
        zone=runtime().zone,
        translate=catalog_text,
    )
    return render_template(
        "supervision/report.html",
        report=report,
        content=report.content,
        tables=tables,
        notable=(report.notable_cases or {}).get("cases", []),
        max_notable=MAX_NOTABLE,
        names=report.content.get("names", {}),
        covered_from=covered_from,
        covered_to=covered_to,
    )


@bp.route("/reports/<int:report_id>/notable", methods=["POST"])
@roles_required(*SUPERVISORS)
def notable(report_id: int) -> Any:
    """M3: the supervisor's notable cases (案例分析) for a monthly report, each with a note."""
    numbers = request.form.getlist("case_number")
    notes = request.form.getlist("note")
    chosen = [(n, notes[i] if i < len(notes) else "") for i, n in enumerate(numbers)]
    with unit_of_work() as uow:
        if _report(report_id).kind != "monthly":
            abort(404)
        problems = choose_notable_cases(uow, report_id, chosen, current_user.username)
        if not problems:
            uow.commit()
    for problem in problems:
        flash(
            str(NOTABLE_PROBLEMS[problem.reason]) % {"case": problem.case_number, "max": MAX_NOTABLE},
            "error",
        )
    if problems:
        return redirect(url_for("reports.show", report_id=report_id) + "#notable")
    flash(_("The notable cases are saved with the report."), "success")
    return redirect(url_for("reports.show", report_id=report_id) + "#notable")


def _download(report_id: int, extension: str) -> Response:
    report = _report(report_id)
    tables = report_tables(
        report.kind,
        report.content,
        report.notable_cases,
        current_language(),
        report.generated_at,
        zone=runtime().zone,
        translate=catalog_text,
    )
    name = f"hotline-{report.kind}-{report.period_start}_{report.period_end}.{extension}"
    return table_download(tables, name, extension)


@bp.route("/reports/<int:report_id>.csv")
@roles_required(*SUPERVISORS)
@reads_only
def download_csv(report_id: int) -> Response:
    return _download(report_id, "csv")


@bp.route("/reports/<int:report_id>.xlsx")
@roles_required(*SUPERVISORS)
@reads_only
def download_xlsx(report_id: int) -> Response:
    return _download(report_id, "xlsx")
