"""Staff accounts, for administrators: list and search, add, change details, roles and departments,
disable and enable again, reset a password. Each view parses the form, calls a use case of
engine.people and renders; a refused form comes back with what was typed and the errors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Department, User
from engine.errors import FormInvalid
from engine.people import (
    ROLES,
    STAFF_LANGUAGES,
    account_stamp,
    add_account,
    find_user,
    reset_password,
    search_accounts,
    set_account_active,
    update_account,
)
from webforms.database import read_only, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.people.auth import roles_required
from webforms.request_checks import checks_own_input

bp = Blueprint("accounts", __name__, url_prefix="/admin/users")
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")


def _departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.sort_order, Department.code)))


@bp.route("")
@roles_required("admin")
def index() -> Any:
    text = request.args.get("q", "")[:100]
    group = request.args.get("group", "")[:100]
    with read_only() as uow:
        return render_template(
            "people/accounts.html",
            accounts=search_accounts(uow.session, text, group=group),
            departments=_departments(uow.session),
            roles=ROLES,
            text=text,
            group=group,
        )


def _form_page(
    template: str, account: User | None, values: dict[str, Any], errors: dict[str, Any], status: int = 200
) -> Any:
    with read_only() as uow:
        return render_template(
            template,
            account=account,
            departments=_departments(uow.session),
            roles=ROLES,
            values=values,
            errors=errors,
            stamp=account_stamp(account) if account is not None else "",
        ), status


def _submitted() -> dict[str, Any]:
    form = request.form
    return {
        "username": form.get("username", ""),
        "display_name": form.get("display_name", ""),
        "phone": form.get("phone", ""),
        "email": form.get("email", ""),
        "language": form.get("language", STAFF_LANGUAGES[0]),
        "roles": form.getlist("roles"),
        "departments": form.getlist("departments"),
    }


def _values_of(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "phone": user.phone,
        "email": user.email,
        "language": user.language,
        "roles": sorted(r for r in user.role_names if r in ROLES),
        "departments": sorted(r for r in user.role_names if r not in ROLES),
    }


def _new_again(err: FormInvalid) -> Any:
    return _form_page("people/account_new.html", None, _submitted(), err.errors, 400)


@bp.route("/new", methods=["GET", "POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _new_again)})
def new() -> Any:
    if request.method == "GET":
        return _form_page(
            "people/account_new.html",
            None,
            {"roles": [], "departments": [], "language": STAFF_LANGUAGES[0]},
            {},
        )
    values = _submitted()
    with unit_of_work() as uow:
        add_account(
            uow,
            current_user.username,
            values["username"],
            request.form.get("password", ""),
            display_name=values["display_name"],
            phone=values["phone"],
            email=values["email"],
            roles=values["roles"],
            departments=values["departments"],
            language=values["language"],
        )
        uow.commit()
    flash(
        _(
            "Account %(username)s added. Tell its owner the password; they choose their own at the first sign-in.",
            username=values["username"].strip(),
        ),
        "success",
    )
    return redirect(url_for("accounts.index", q=values["username"].strip()))


def _account(username: str) -> User:
    with read_only() as uow:
        user = find_user(uow.session, username)
        if user is None:
            abort(404)
        uow.session.expunge(user)
        return user


def _edit_again(err: FormInvalid, username: str) -> Any:
    account = _account(username)
    values = _submitted() if request.form.get("profile") else _values_of(account)
    return _form_page("people/account.html", account, {**values, "username": username}, err.errors, 400)


@bp.route("/<username>", methods=["GET", "POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _edit_again)})
def edit(username: str) -> Any:
    if request.method == "GET":
        account = _account(username)
        return _form_page("people/account.html", account, _values_of(account), {})
    values = _submitted()
    with unit_of_work() as uow:
        changes = update_account(
            uow,
            current_user.username,
            username,
            display_name=values["display_name"],
            phone=values["phone"],
            email=values["email"],
            roles=values["roles"],
            departments=values["departments"],
            seen=request.form.get("seen"),
            language=values["language"],
        )
        uow.commit()
    if changes:
        flash(_("Account %(username)s saved.", username=username), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("accounts.edit", username=username))


@bp.route("/<username>/active", methods=["POST"])
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _edit_again)})
def active(username: str) -> Any:
    enable = request.form.get("active") == "1"
    with unit_of_work() as uow:
        set_account_active(uow, current_user.username, username, enable)
        uow.commit()
    if enable:
        flash(_("Account %(username)s enabled again.", username=username), "success")
    else:
        flash(_("Account %(username)s disabled; its sessions have ended.", username=username), "success")
    return redirect(url_for("accounts.edit", username=username))


@bp.route("/<username>/password", methods=["POST"])
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _edit_again)})
def password(username: str) -> Any:
    with unit_of_work() as uow:
        reset_password(uow, current_user.username, username, request.form.get("password", ""))
        uow.commit()
    flash(
        _(
            "The password of %(username)s was reset; its sessions have ended and a new password must be "
            "chosen at the next sign-in.",
            username=username,
        ),
        "success",
    )
    return redirect(url_for("accounts.edit", username=username))
