"""Hotline Flow web application: staff sign in, take cases, complete tasks; supervisors read history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from engine.db.session import make_engine, make_session_factory
from engine.runtime import Runtime
from hotline.settings import Settings

csrf = CSRFProtect()


@dataclass
class Hotline:
    """What the views need from the engine side; kept in app.extensions['hotline']."""

    settings: Settings
    runtime: Runtime
    sessions: sessionmaker[Session]


def create_app(
    settings: Settings | None = None,
    runtime: Runtime | None = None,
    test_config: dict[str, Any] | None = None,
) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.home))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,  # a photo from site (5 MB) and its form
        BABEL_DEFAULT_LOCALE="zh_CN",
        WTF_CSRF_TIME_LIMIT=None,
        HOTLINE_IDLE_MINUTES=settings.idle_minutes,
    )
    if test_config:
        app.config.update(test_config)
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

    runtime = runtime or Runtime(zone=ZoneInfo(settings.timezone))
    runtime.attachment_folder = (
        settings.home / "attachments"
    )  # the folder webforms.work.attachments reads from
    app.extensions["hotline"] = Hotline(
        settings, runtime, make_session_factory(make_engine(settings.database_url))
    )

    from webforms import cases_blueprint, database, errors, i18n, public, templating
    from webforms.people import auth, idle
    from webforms.people import names as people
    from webforms.processes import modeler, versions
    from webforms.reference import admin
    from webforms.supervision import board, handover, reports
    from webforms.supervision import cases as _case_pages  # noqa: F401 - its routes are on cases_blueprint.bp
    from webforms.supervision import incidents as supervise
    from webforms.work import attachments, field, notifications, tasks
    from webforms.work import intake as _intake  # noqa: F401 - its routes are on cases_blueprint.bp

    csrf.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    idle.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    people.init_app(app)
    notifications.init_app(app)
    for blueprint in (
        auth.bp,
        tasks.bp,
        cases_blueprint.bp,
        public.bp,
        notifications.bp,
        supervise.bp,
        handover.bp,
        admin.bp,
        field.bp,
        attachments.bp,
        reports.bp,
        versions.bp,
        board.bp,
        modeler.bp,
    ):
        app.register_blueprint(blueprint)
    return app
