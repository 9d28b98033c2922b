"""Everyone's own password: changed knowing the current one. A password an administrator chose (a new
account, a reset) leads here after sign-in, and no other page opens until a new one is chosen
(webforms.people.sessions). The change ends every session of the account, the other browsers' too;
this browser is signed in again with a new session."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user

from engine.errors import FormInvalid
from engine.people import (
    MESSAGE_CHANNELS,
    STAFF_LANGUAGES,
    change_own_password,
    choose_message_channel,
    find_user,
    open_session,
)
from webforms.database import read_only, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.people.sessions import session_limits, signed_in_user

bp = Blueprint("account", __name__, url_prefix="/account")
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")


CHANNEL_NAMES = {
    "": _l("SMS if I have a phone number, otherwise e-mail"),
    "sms": _l("SMS"),
    "email": _l("E-mail"),
    "none": _l("Only in the app"),
}


def _page(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    with read_only() as uow:
        user = find_user(uow.session, current_user.username)
        chosen = user.message_channel if user is not None else ""
        language = user.language if user is not None else STAFF_LANGUAGES[0]
    return render_template(
        "people/password.html",
        errors=errors or {},
        channels=[(c, CHANNEL_NAMES[c]) for c in MESSAGE_CHANNELS],
        chosen_channel=chosen,
        chosen_language=language,
    ), status


def _again(err: FormInvalid) -> Any:
    return _page(err.errors, 400)


@bp.route("")
@login_required
def index() -> Any:
    """/account, typed or told ("set your language under /account"): the page of one's own settings."""
    return redirect(url_for("account.password"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _again)})
def password() -> Any:
    if request.method == "GET":
        return _page()
    form = request.form
    with unit_of_work() as uow:
        change_own_password(
            uow, current_user.username, form.get("current", ""), form.get("new", ""), form.get("repeated", "")
        )
        user = find_user(uow.session, current_user.username)
        assert user is not None  # the use case found it
        signed_in = signed_in_user(user, "")
        signed_in.token = open_session(uow, signed_in.id, request.remote_addr or "", session_limits())
        uow.commit()
    login_user(signed_in)
    g.hotline_signed_in = signed_in
    flash(_("Your password was changed. Other browsers signed in as you must sign in again."), "success")
    return redirect(url_for("tasks.tasklist"))


@bp.route("/messages", methods=["POST"])
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _again)})
def messages() -> Any:
    """C4, L2: how chases and urgent reports reach this person besides the app, and in which language."""
    with unit_of_work() as uow:
        choose_message_channel(
            uow,
            current_user.username,
            request.form.get("message_channel", ""),
            request.form.get("language", STAFF_LANGUAGES[0]),
        )
        uow.commit()
    flash(_("Saved: chases and urgent reports reach you this way as well as in the app."), "success")
    return redirect(url_for("account.password"))
