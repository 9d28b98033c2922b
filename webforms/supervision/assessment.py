"""The monthly department assessment (红黑榜): the ranked table with each figure's definition, the cases
behind every figure, CSV and XLSX downloads for supervisors, and the weights administrators set; the
monthly liaison assessment (M9) in the same style."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine.db import User
from engine.errors import FormInvalid
from engine.supervision import (
    FIGURES,
    LIAISON_FIGURES,
    LOWER_IS_BETTER,
    DepartmentAssessment,
    LiaisonAssessment,
    Period,
    Table,
    current_weights,
    department_assessment,
    liaison_assessment,
    list_size,
    local_date,
    month_period_ending_in,
    month_period_of,
    set_weights,
)
from webforms.database import reading_session, reads_only, runtime, unit_of_work
from webforms.diagram_names import latest_parsed
from webforms.i18n import current_language, localized_name
from webforms.people.auth import roles_required
from webforms.reference.labels import request_reference
from webforms.supervision.downloads import table_download
from webforms.supervision.period_filter import TYPED_LIMIT

bp = Blueprint("assessment", __name__)

SUPERVISORS = ("supervisor", "admin")
MONTH = re.compile(r"(\d{4})-(\d{2})")

FIGURE_LABELS = {
    "acknowledgement": _l("On-time acknowledgement"),
    "closing": _l("On-time closing"),
    "satisfaction": _l("Satisfaction"),
    "redo": _l("Redo rate"),
    "chases": _l("Chases received"),
    "send_backs": _l("Send-back rate"),
}
FIGURE_DEFINITIONS = {
    "acknowledgement": _l(
        "Department steps that arrived in the month and were acknowledged by their deadline ÷ such steps "
        "acknowledged or past their deadline. A step is acknowledged when someone of the department first "
        "claims it, or completes it without claiming it first."
    ),
    "closing": _l(
        "Department steps whose deadline fell in the month and were completed by it ÷ such steps "
        "completed or past their deadline."
    ),
    "satisfaction": _l(
        "Callback answers “satisfied” ÷ callback answers given in the month about the department's cases "
        "(the procedures' callbacks and the sampled callbacks), as in the service KPIs."
    ),
    "redo": _l(
        "Cases the department replied to in the month that a customer's “not satisfied” at a callback "
        "sent back to the department ÷ cases the department replied to in the month. Lower is better."
    ),
    "chases": _l(
        "Chases received: a department step's deadline passed while it was still open. Shown as a count "
        "and as chases ÷ the steps judged for on-time closing. Lower is better."
    ),
    "send_backs": _l(
        "Cases the department sent back as not its own ÷ department steps that arrived in the month. "
        "Nothing is counted until the send-back with review is in the procedures. Lower is better."
    ),
}
LIAISON_LABELS = {
    "forms": _l("Information forms submitted"),
    "feedback": _l("On-time feedback"),
    "resolution": _l("Resolution rate"),
    "satisfaction": _l("Satisfaction of their customers"),
}
LIAISON_DEFINITIONS = {
    "forms": _l("Customer information forms the liaison opened in the month."),
    "feedback": _l(
        "The liaison's reports on their forms (the written report of an urgent matter, the hand-over of a "
        "general one to the department) whose deadline fell in the month and were done by it ÷ such "
        "reports done or past their deadline."
    ),
    "resolution": _l(
        "The liaison's forms of the month that are closed by now ÷ the liaison's forms of the month."
    ),
    "satisfaction": _l(
        "Callback answers “satisfied” ÷ callback answers given in the month about the liaison's forms "
        "(the liaison's own callback and any sampled callback)."
    ),
}
WEIGHT_ERRORS = {
    "weight-range": _l("Write a whole number from 0 to 100."),
    "weight-total": _l("The weights add up to %(total)s; they must add up to 100."),
}


def _asked_month() -> tuple[Period, str]:
    """The month of the query (YYYY-MM; this month when absent), or this month and what is wrong with
    the value asked."""
    raw = request.args.get("month", "").strip()
    this_month = month_period_of(local_date(runtime().clock.now(), runtime().zone))
    if not raw:
        return this_month, ""
    match = MONTH.fullmatch(raw)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return this_month, _("“%(value)s” is not a month. Enter a month as YYYY-MM.", value=raw[:TYPED_LIMIT])
    if not 2000 <= int(match.group(1)) <= 2100:
        problem = _(
            "“%(value)s” is outside the years %(first)s to %(last)s.", value=raw, first=2000, last=2100
        )
        return this_month, problem
    return month_period_ending_in(int(match.group(1)), int(match.group(2))), ""


def _month() -> Period:
    """The month of a link the pages made (a download, a figure's cases): 400 for a month that is none."""
    period, problem = _asked_month()
    if problem:
        abort(400)
    return period


def _month_page(period: Period, problem: str = "") -> dict[str, Any]:
    """What an assessment page says of its month: the period, the labels of the months before and
    after it (for the month links), and the month asked as typed with what is wrong with it."""
    return {
        "period": period,
        "previous": period.previous().label,
        "following": month_period_of(period.last.replace(day=26)).label,
        "month_problem": problem,
        "month_typed": request.args.get("month", "").strip()[:TYPED_LIMIT] if problem else period.label,
    }


def _definitions_table(
    figures: tuple[str, ...], labels: Mapping[str, Any], definitions: Mapping[str, Any]
) -> Table:
    """The downloads' sheet of what each figure means."""
    return Table(
        "definitions",
        _("Definitions"),
        [_("Figure"), _("Definition")],
        [[str(labels[name]), str(definitions[name])] for name in figures],
    )


def _assessment(period: Period) -> DepartmentAssessment:
    engine = runtime()
    session = reading_session()
    return department_assessment(
        session, period, engine.zone, engine.clock.now(), request_reference(), current_weights(session)
    )


def step_name(item: Any) -> str:
    """The step (or deadline) behind an item by the name its diagram gives it in the UI language."""
    if current_language() != "en" or not item.element_id:
        return str(item.what)
    parsed = latest_parsed(item.process_key)
    if parsed is None:
        return str(item.what)
    info = parsed.user_tasks.get(item.element_id)
    if info is not None and info.name_en:
        return str(info.name_en)
    return str(parsed.element_names_en.get(item.element_id) or item.what)


def _department_names() -> dict[str, str]:
    return {d.code: localized_name(d) for d in request_reference().departments}


@bp.route("/assessment/departments")
@roles_required(*SUPERVISORS)
@reads_only
def departments() -> Any:
    """The ranked table of a month (26th to 25th), each figure with its definition."""
    period, problem = _asked_month()
    assessment = _assessment(period)
    return render_template(
        "supervision/assessment.html",
        assessment=assessment,
        figures=FIGURES,
        lower_is_better=LOWER_IS_BETTER,
        labels=FIGURE_LABELS,
        definitions=FIGURE_DEFINITIONS,
        names=_department_names(),
        list_size=list_size(assessment.rows),
        **_month_page(period, problem),
    )


@bp.route("/assessment/departments/<department>/<figure>")
@roles_required(*SUPERVISORS)
@reads_only
def cases(department: str, figure: str) -> Any:
    """The cases behind one figure of one department."""
    if figure not in FIGURES:
        abort(404)
    period = _month()
    row = _assessment(period).row(department)
    return render_template(
        "supervision/assessment_cases.html",
        period=period,
        department=department,
        name=_department_names().get(department, department),
        figure=figure,
        label=FIGURE_LABELS[figure],
        definition=FIGURE_DEFINITIONS[figure],
        items=row.figures[figure].items if row is not None else [],
        step_name=step_name,
        back=url_for("assessment.departments", month=period.label),
    )


def _tables(assessment: DepartmentAssessment) -> list[Table]:
    names = _department_names()
    headers = [_("Rank"), _("Department"), _("Score")]
    for name in FIGURES:
        headers += [str(FIGURE_LABELS[name]), _("Counted"), _("Of")]
    rows: list[list[Any]] = []
    rate_columns: set[int] = set()
    for row in assessment.rows:
        line: list[Any] = [row.rank or "", names.get(row.department, row.department)]
        line.append("—" if row.score is None else round(row.score, 1))
        for index, name in enumerate(FIGURES):
            rate = row.figures[name].rate
            rate_columns.add(3 + index * 3)
            line += [rate.value, row.figures[name].count, rate.whole]
        rows.append(line)
    title = _("Department assessment %(month)s", month=assessment.period.label)
    ranked = Table("assessment", title, headers, rows, rate_columns)
    weights = Table(
        "weights",
        _("Weights"),
        [_("Figure"), _("Weight")],
        [[str(FIGURE_LABELS[name]), assessment.weights.get(name, 0)] for name in FIGURES],
    )
    return [ranked, weights, _definitions_table(FIGURES, FIGURE_LABELS, FIGURE_DEFINITIONS)]


def _download(extension: str) -> Response:
    period = _month()
    return table_download(
        _tables(_assessment(period)), f"hotline-assessment-{period.label}.{extension}", extension
    )


@bp.route("/assessment/departments.csv")
@roles_required(*SUPERVISORS)
@reads_only
def download_csv() -> Response:
    return _download("csv")


@bp.route("/assessment/departments.xlsx")
@roles_required(*SUPERVISORS)
@reads_only
def download_xlsx() -> Response:
    return _download("xlsx")


@bp.route("/assessment/weights", methods=["GET", "POST"])
@roles_required("admin")
def weights() -> Any:
    """Administrators set the figures' weights (whole per cents summing to 100); every change is audited."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        raw = {name: request.form.get(name, "") for name in FIGURES}
        with unit_of_work() as uow:
            try:
                set_weights(uow, current_user.username, raw)
            except FormInvalid as err:
                values = raw
                errors = {key: str(WEIGHT_ERRORS[e.code]) % dict(e.params) for key, e in err.errors.items()}
            else:
                uow.commit()
        if not errors:
            flash(_("The weights are saved."), "success")
            return redirect(url_for("assessment.weights"))
        flash(_("Some values need attention; nothing was saved yet."), "error")
    else:
        values = current_weights(reading_session())
    status = 400 if errors else 200
    return (
        render_template(
            "supervision/assessment_weights.html",
            figures=FIGURES,
            labels=FIGURE_LABELS,
            definitions=FIGURE_DEFINITIONS,
            values=values,
            errors=errors,
        ),
        status,
    )


def _liaison_names(assessment: LiaisonAssessment) -> dict[str, str]:
    logins = [row.liaison for row in assessment.rows]
    if not logins:
        return {}
    found = reading_session().execute(
        select(User.username, User.display_name).where(User.username.in_(logins))
    )
    return {username: name for username, name in found}


def _liaisons(period: Period) -> LiaisonAssessment:
    engine = runtime()
    return liaison_assessment(reading_session(), period, engine.zone, engine.clock.now())


@bp.route("/assessment/liaisons")
@roles_required(*SUPERVISORS)
@reads_only
def liaisons() -> Any:
    """M9: each liaison's month, each figure with its definition."""
    period, problem = _asked_month()
    assessment = _liaisons(period)
    return render_template(
        "supervision/assessment_liaisons.html",
        assessment=assessment,
        figures=LIAISON_FIGURES,
        labels=LIAISON_LABELS,
        definitions=LIAISON_DEFINITIONS,
        names=_liaison_names(assessment),
        **_month_page(period, problem),
    )


@bp.route("/assessment/liaisons/<liaison>/<figure>")
@roles_required(*SUPERVISORS)
@reads_only
def liaison_cases(liaison: str, figure: str) -> Any:
    if figure not in LIAISON_FIGURES:
        abort(404)
    period = _month()
    assessment = _liaisons(period)
    row = assessment.row(liaison)
    return render_template(
        "supervision/assessment_cases.html",
        period=period,
        name=_liaison_names(assessment).get(liaison, liaison),
        figure=figure,
        label=LIAISON_LABELS[figure],
        definition=LIAISON_DEFINITIONS[figure],
        items=row.figures[figure].items if row is not None else [],
        step_name=step_name,
        back=url_for("assessment.liaisons", month=period.label),
    )


def _liaison_tables(assessment: LiaisonAssessment) -> list[Table]:
    names = _liaison_names(assessment)
    headers = [_("Liaison"), _("Login")]
    for name in LIAISON_FIGURES:
        headers += [str(LIAISON_LABELS[name]), _("Counted"), _("Of")]
    rows: list[list[Any]] = []
    rate_columns: set[int] = set()
    for row in assessment.rows:
        line: list[Any] = [names.get(row.liaison, row.liaison), row.liaison]
        for index, name in enumerate(LIAISON_FIGURES):
            rate = row.figures[name].rate
            if name != "forms":  # a count: it has no rate
                rate_columns.add(2 + index * 3)
            line += ["" if name == "forms" else rate.value, row.figures[name].count, rate.whole]
        rows.append(line)
    title = _("Liaison assessment %(month)s", month=assessment.period.label)
    definitions = _definitions_table(LIAISON_FIGURES, LIAISON_LABELS, LIAISON_DEFINITIONS)
    return [Table("liaisons", title, headers, rows, rate_columns), definitions]


@bp.route("/assessment/liaisons.<any(csv, xlsx):extension>")
@roles_required(*SUPERVISORS)
@reads_only
def download_liaisons(extension: str) -> Response:
    period = _month()
    tables = _liaison_tables(_liaisons(period))
    return table_download(tables, f"hotline-liaisons-{period.label}.{extension}", extension)
