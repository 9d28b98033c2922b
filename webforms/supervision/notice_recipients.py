"""Who a case's public notice goes to: the affected customers of the register, how each is told and
whether it has gone. Linked from the case history, where the notice's publication is told in words."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user, login_required

from engine.cases import notice_of_case, notice_recipients
from engine.work import case_by_number
from webforms.case_access import check_case_readable, refuse_unknown_case
from webforms.cases_blueprint import bp
from webforms.database import read_only
from webforms.people.access_records import record_customers_shown


@bp.route("/<case_number>/notices/<int:notice_id>")
@login_required
def notice_recipients_page(case_number: str, notice_id: int) -> Any:
    with read_only() as uow:
        instance = case_by_number(uow.session, case_number)
        check_case_readable(uow.session, instance.id if instance is not None else None)
        assert instance is not None
        notice = notice_of_case(uow.session, instance.id, notice_id)
        if notice is None:
            refuse_unknown_case()
        recipients = notice_recipients(uow.session, notice_id)
        page = render_template(
            "supervision/notice_recipients.html", case=instance, notice=notice, recipients=recipients
        )
        shown = [customer.id for customer, _recipient in recipients]
    # The register's names and addresses are personal data: a full view is recorded (M6).
    if current_user.sees_personal_data:
        record_customers_shown(shown, "notice_recipients")
    return page
