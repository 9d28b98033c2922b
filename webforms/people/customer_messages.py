"""O1/O2: how a customer is told — no SMS (e-mail instead, if the register has an address) and the
language of the messages — changed by staff when the customer asks (audited). The page shows the
account number and the two choices only, no personal data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import NotFound
from engine.people import MESSAGE_LANGUAGES, customer_message_preferences, set_customer_message_preferences
from webforms.database import read_only, unit_of_work
from webforms.people.auth import roles_required

bp = Blueprint("customer_messages", __name__, url_prefix="/customers")
STAFF = ("operator", "supervisor", "admin")


@bp.route("/messages")
@roles_required(*STAFF)
def page() -> Any:
    account = request.args.get("account", "").strip()[:30]
    found: tuple[bool, str] | None = None
    status = 200
    if account:
        try:
            with read_only() as uow:
                found = customer_message_preferences(uow, account)
        except NotFound:
            status = 404
    return render_template(
        "people/customer_messages.html", account=account, found=found, languages=MESSAGE_LANGUAGES
    ), status


@bp.route("/messages", methods=["POST"])
@roles_required(*STAFF)
def save() -> Any:
    account = request.form.get("account", "").strip()[:30]
    language = request.form.get("language", "")
    with unit_of_work() as uow:
        set_customer_message_preferences(
            uow,
            account,
            no_sms=request.form.get("no_sms") == "on",
            language=language if language in MESSAGE_LANGUAGES else None,
            actor=current_user.username,
        )
        uow.commit()
    flash(_("Saved how customer %(account)s is told.", account=account), "success")
    return redirect(url_for("customer_messages.page", account=account))
