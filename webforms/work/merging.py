"""Merging and linking cases (并单) and calls about an outage going on now: the likely duplicates the
intake page asks for as the operator types, and the forms of the intake and case pages that merge,
link, or count a call on an outage (engine.work.merging)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from engine.bpmn import control_character_error
from engine.work import (
    MERGING_ROLES,
    LikelyDuplicate,
    case_by_number,
    count_outage_call,
    likely_duplicates,
    link_related,
    merge_cases,
    outages_covering,
)
from webforms.case_access import check_case_readable
from webforms.cases_blueprint import bp
from webforms.database import reading_session, reads_only, runtime, unit_of_work
from webforms.diagram_names import process_label
from webforms.outage_feeds import outage_summary
from webforms.request_checks import checks_own_input
from webforms.shown_values import local_time

REASONS = {
    "phone": _l("same phone"),
    "address": _l("same address"),
    "building": _l("same building"),
    "category": _l("same category"),
}


def may_merge() -> bool:
    return bool(current_user.actor.groups & MERGING_ROLES)


def reasons_text(duplicate: LikelyDuplicate) -> list[str]:
    return [str(REASONS[r]) for r in duplicate.reasons]


def _short(name: str, limit: int = 100) -> str:
    value = request.args.get(name, "")[:limit]
    return "" if control_character_error(value) else value.strip()


@bp.route("/duplicates")
@login_required
@reads_only
def duplicates() -> Any:
    """The open cases a call being taken may duplicate, and the current outages covering its address."""
    if not may_merge():
        abort(403)
    session = reading_session()
    now = runtime().clock.now()
    phone, address, category = _short("phone", 40), _short("address", 300), _short("category", 50)
    found = likely_duplicates(
        session, phone, address, category, now, runtime().call_grouping.duplicate_window
    )
    outages = outages_covering(session, address)
    return jsonify(
        duplicates=[
            {
                "case_number": d.instance.case_number,
                "url": url_for("cases.show", case_number=d.instance.case_number),
                "process": process_label(d.instance.definition),
                "opened_at": local_time(d.instance.opened_at),
                "reasons": reasons_text(d),
            }
            for d in found
        ],
        outages=[
            {
                "case_number": o.case_number,
                "title": outage_summary(o)[0],
                "url": url_for("cases.show", case_number=o.case_number),
            }
            for o in outages
        ],
        labels={
            "heading": _("Likely the same matter"),
            "merge": _("Record and merge into this case"),
            "outage": _("Outage going on now at this address"),
            "count_call": _("Count the call on this outage (no new repair)"),
        },
    )


def _readable(session: Any, case_number: str) -> Any:
    instance = case_by_number(session, case_number[:40])
    check_case_readable(session, instance.id if instance is not None else None)
    return instance


@bp.route("/<case_number>/merge", methods=["POST"])
@checks_own_input
@login_required
def merge(case_number: str) -> Any:
    """Close this case into the one named in `into`, with a reason."""
    if not may_merge():
        abort(403)
    into = request.form.get("into", "").strip()[:40]
    reason = request.form.get("reason", "")
    with unit_of_work() as uow:
        _readable(uow.session, case_number)
        _readable(uow.session, into)
        merge_cases(uow, case_number, into, current_user.actor, reason)
        uow.commit()
    flash(_("Case %(case)s was merged into case %(into)s.", case=case_number, into=into), "success")
    return redirect(url_for("cases.show", case_number=into))


@bp.route("/<case_number>/link", methods=["POST"])
@checks_own_input
@login_required
def link(case_number: str) -> Any:
    """Note this case and the one named in `other` as related; both stay open."""
    if not may_merge():
        abort(403)
    other = request.form.get("other", "").strip()[:40]
    reason = request.form.get("reason", "")
    with unit_of_work() as uow:
        _readable(uow.session, case_number)
        _readable(uow.session, other)
        linked = link_related(uow, case_number, other, current_user.actor, reason)
        uow.commit()
    if linked:
        flash(_("Cases %(case)s and %(other)s are linked.", case=case_number, other=other), "success")
    else:
        flash(_("Cases %(case)s and %(other)s were linked already.", case=case_number, other=other), "info")
    return redirect(url_for("cases.show", case_number=case_number))


@bp.route("/<case_number>/outage-calls", methods=["POST"])
@checks_own_input
@login_required
def outage_call(case_number: str) -> Any:
    """A call about this outage, sent from the intake form: counted on the outage, no case opened."""
    if not may_merge():
        abort(403)
    said = request.form.get("description") or request.form.get("question") or ""
    with unit_of_work() as uow:
        _readable(uow.session, case_number)
        count = count_outage_call(uow, case_number, current_user.actor, request.form.get("address", ""), said)
        uow.commit()
    flash(
        _(
            "The call was counted on outage %(case)s (%(count)s calls so far); no repair was opened. Tell the "
            "caller the outage is known and when it is expected back.",
            case=case_number,
            count=count,
        ),
        "success",
    )
    return redirect(url_for("cases.show", case_number=case_number))
