"""M2/M3: an administrator lists the addresses the weekly report and the monthly 12345 summary are mailed
to (beside those of the settings). Routes on the admin blueprint."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import FormInvalid
from engine.supervision import REPORT_KINDS, add_report_recipient, remove_report_recipient, report_recipients
from webforms.database import read_only, runtime, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.people.auth import roles_required
from webforms.reference.admin import NOT_SAVED, bp


def _page(errors: dict | None = None, values: dict | None = None, status: int = 200) -> Any:
    with read_only() as uow:
        rows = report_recipients(uow.session)
        return render_template(
            "reference/report_recipients.html",
            kinds=REPORT_KINDS,
            recipients=rows,
            from_settings=runtime().messaging.report_recipients,
            errors=errors or {},
            values=values or {},
        ), status


@bp.route("/report-recipients")
@roles_required("admin")
def report_recipient_list() -> Any:
    return _page()


def _again(err: FormInvalid) -> Any:
    return _page(err.errors, request.form.to_dict(), 400)


@bp.route("/report-recipients", methods=["POST"])
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _again)})
def add_recipient() -> Any:
    kind, address = request.form.get("kind", ""), request.form.get("address", "")
    with unit_of_work() as uow:
        add_report_recipient(
            uow,
            kind,
            address,
            request.form.get("note", ""),
            current_user.username,
            language=request.form.get("language", "zh_CN"),
        )
        uow.commit()
    flash(_("%(address)s added; the next report is mailed there too.", address=address.strip()), "success")
    return redirect(url_for("admin.report_recipient_list"))


@bp.route("/report-recipients/<int:recipient_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_recipient(recipient_id: int) -> Any:
    with unit_of_work() as uow:
        remove_report_recipient(uow, recipient_id, current_user.username)
        uow.commit()
    flash(_("Address removed from the list."), "success")
    return redirect(url_for("admin.report_recipient_list"))
