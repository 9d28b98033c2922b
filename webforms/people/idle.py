"""Signing out a session left idle: after `HOTLINE_IDLE_MINUTES` (default 30) without a request, the
next request asks for the password again, and comes back to where the person was. Idle time is read
on the engine's clock, like every other time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from webforms.database import runtime


def init_app(app: Flask) -> None:
    @app.before_request
    def _sign_out_when_idle() -> Any:
        if request.endpoint in (None, "static") or not current_user.is_authenticated:
            return None
        now = runtime().clock.now()
        limit = timedelta(minutes=app.config["HOTLINE_IDLE_MINUTES"])
        seen = session.get("seen_at")
        if seen is not None and now - datetime.fromisoformat(seen) > limit:
            logout_user()
            session.pop("seen_at", None)
            flash(
                _(
                    "You were signed out after %(minutes)s minutes without activity. Sign in again to go on.",
                    minutes=app.config["HOTLINE_IDLE_MINUTES"],
                ),
                "info",
            )
            target = request.full_path if request.method == "GET" else None
            return redirect(url_for("auth.login", next=target) if target else url_for("auth.login"))
        session["seen_at"] = now.isoformat()
        return None
