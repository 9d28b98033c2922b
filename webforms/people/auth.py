"""Signing in and out (Flask-Login, argon2), the language switch, and group checks for views.

Flask-Login keeps, as the user's id in the signed cookie, the random token of a session stored on the
server (engine.people.sign_in), never the account's id: the token is looked up on every request
(webforms.people.sessions), so signing out, a password change or a disabled account ends the session
for every copy of the cookie."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from engine.bpmn import user_candidate
from engine.people import (
    DirectorySignIn,
    DirectoryUnavailable,
    SignInLocked,
    SignInRefused,
    check_credentials,
    check_directory_credentials,
    directory_account,
    end_session,
    open_session,
    record_failed_sign_in,
    signs_in_with_directory,
)
from webforms.database import hotline, read_only, unit_of_work
from webforms.i18n import LANGUAGES
from webforms.people.sessions import SignedInUser, session_limits, signed_in_for, signed_in_user
from webforms.shown_values import local_time

__all__ = ["SignedInUser", "bp", "can_do", "init_app", "roles_required"]

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@login_manager.user_loader
def _load_user(token: str) -> SignedInUser | None:
    return signed_in_for(token)


def can_do(task: Any) -> bool:
    """Whether the signed-in user may work on the task: they hold one of its candidate groups, or a
    supervisor handed it to them."""
    if task.assignee is not None and task.assignee == current_user.username:
        return True
    return bool(
        set(task.candidate_groups.split(",")) & {*current_user.roles, user_candidate(current_user.username)}
    )


def roles_required(*roles: str) -> Any:
    def decorate(view: Any) -> Any:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _safe_next(target: str | None) -> str:
    # A path of this site: it starts with one "/", so it names no scheme and no host (urlsplit is not
    # asked: it raises on some addresses, an unclosed "[" for one).
    if (
        target
        and target.isprintable()  # no CR/LF (a header break) or other control character
        and "\\" not in target  # browsers read "/\\host" as "//host"
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("tasks.tasklist")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password, address = request.form.get("password", ""), request.remote_addr or ""
        directory = hotline().config.directory
        verified: DirectorySignIn | None = None
        try:
            with read_only() as uow:
                if directory is not None and signs_in_with_directory(uow.session, username):
                    verified = check_directory_credentials(
                        uow.session, uow.clock, directory, username, password, address
                    )
                else:
                    user = check_credentials(uow.session, uow.clock, username, password, address)
                    signed_in = signed_in_user(user, "")
            with unit_of_work() as uow:
                if verified is not None:  # the directory's account here, made or brought in line
                    signed_in = signed_in_user(directory_account(uow, verified), "")
                signed_in.token = open_session(uow, signed_in.id, address, session_limits())
                uow.commit()
        except SignInRefused:
            # Recorded in a short unit of its own: the argon2 check above held no write lock.
            with unit_of_work() as uow:
                record_failed_sign_in(uow, username, address)
                uow.commit()
            flash(_("Wrong username or password."), "error")
            return render_template("people/login.html", username=username), 401
        except DirectoryUnavailable:
            flash(
                _(
                    "The staff directory cannot be reached just now, so its accounts cannot sign in. "
                    "Try again in a few minutes; if it goes on, tell the administrator."
                ),
                "error",
            )
            return render_template("people/login.html", username=username), 503
        except SignInLocked as locked:
            flash(
                _(
                    "Too many failed sign-ins for this username or from this computer. "
                    "Try again after %(time)s.",
                    time=local_time(locked.until, "%H:%M"),
                ),
                "error",
            )
            return render_template("people/login.html", username=username), 429
        session.permanent = True
        login_user(signed_in)
        g.hotline_signed_in = signed_in
        if signed_in.must_change_password:
            return redirect(url_for("account.password"))
        return redirect(_safe_next(request.args.get("next")))
    return render_template("people/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if current_user.is_authenticated:
        with unit_of_work() as uow:
            end_session(uow, current_user.token)
            uow.commit()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str) -> Any:
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
