"""Signing in and out (Flask-Login, argon2), the language switch, and group checks for views."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from engine.db import User
from engine.people import PII_ROLES, authenticate
from engine.runtime import Actor
from webforms.database import read_only
from webforms.i18n import LANGUAGES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@dataclass
class SignedInUser(UserMixin):
    id: int
    username: str
    display_name: str
    roles: frozenset[str]

    def get_id(self) -> str:
        return str(self.id)

    @property
    def actor(self) -> Actor:
        return Actor(self.username, self.roles)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def sees_personal_data(self) -> bool:
        return bool(self.roles & PII_ROLES)


def _signed_in(user: User) -> SignedInUser:
    return SignedInUser(user.id, user.username, user.display_name, frozenset(user.role_names))


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    if not user_id.isdigit():
        return None
    with read_only() as uow:
        user = uow.session.get(User, int(user_id))
        return _signed_in(user) if user is not None and user.active else None


def can_do(task: Any) -> bool:
    """Whether the signed-in user holds one of the task's candidate groups."""
    return bool(set(task.candidate_groups.split(",")) & current_user.roles)


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
    if (
        target
        and target.isprintable()  # no CR/LF (a header break) or other control character
        and "\\" not in target  # browsers read "/\\host" as "//host"
        and not urlsplit(target).netloc
        and target.startswith("/")
        and not target.startswith("//")
    ):
        return target
    return url_for("tasks.tasklist")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        with read_only() as uow:
            user = authenticate(uow.session, username, request.form.get("password", ""))
            signed_in = _signed_in(user) if user is not None else None
        if signed_in is None:
            flash(_("Wrong username or password."), "error")
            return render_template("people/login.html", username=username), 401
        session.permanent = True
        login_user(signed_in)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("people/login.html", username="")


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
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
