"""Hotline Flow web application: staff sign in, take cases, complete tasks; supervisors read history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.runtime import Runtime
from webforms.config import WebConfig
from webforms.flask_app import HotlineFlask
from webforms.json_bodies import CheckedJSONProvider

csrf = CSRFProtect()


@dataclass
class Hotline:
    """What the views need from the engine side; kept in app.extensions['hotline']."""

    config: WebConfig
    runtime: Runtime
    sessions: sessionmaker[Session]


def create_app(
    config: WebConfig,
    runtime: Runtime,
    sessions: sessionmaker[Session],
    test_config: dict[str, Any] | None = None,
) -> Flask:
    """The web app on the given runtime and database; hotline.web builds them (hotline.bootstrap)."""
    if runtime.attachment_folder is None:
        raise ValueError("the web application needs a runtime with an attachment folder")
    app = HotlineFlask(__name__, instance_path=str(config.home))
    app.json = CheckedJSONProvider(app)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.tls,
        # The cookie lasts as long as a session may; the server decides when it really ends.
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        # So the cookie set at sign-in already lasts to the session's absolute end: signing and sending it
        # again on every request would extend nothing. It is still sent whenever its content changes.
        SESSION_REFRESH_EACH_REQUEST=False,
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,  # a photo from site (5 MB) and its form
        BABEL_DEFAULT_LOCALE="zh_CN",
        WTF_CSRF_TIME_LIMIT=None,
        HOTLINE_IDLE_MINUTES=config.idle_minutes,
        HOTLINE_SESSION_HOURS=config.session_hours,
        HOTLINE_METRICS_TOKEN=config.metrics_token,
        HOTLINE_RECEIPT_TOKEN=config.receipt_token,
        HOTLINE_API_RATE_LIMIT=config.api_rate_limit,
        HOTLINE_API_RATE_STORAGE=config.api_rate_storage,
    )
    if test_config:
        app.config.update(test_config)
    if config.proxies:
        # Behind reverse proxies: the client's address (sign-in limits), scheme (Secure cookie) and host
        # come from their X-Forwarded-* headers, trusted for exactly that many hops.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.proxies, x_proto=config.proxies, x_host=config.proxies
        )
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app.extensions["hotline"] = Hotline(config, runtime, sessions)

    from webforms import (
        api,
        case_tracking,
        cases_blueprint,
        database,
        decisions,
        errors,
        health,
        i18n,
        metrics,
        public,
        receipts,
        request_checks,
        request_log,
        security,
        templating,
    )
    from webforms import outage_feeds as _outage_feeds  # noqa: F401 - its routes are on public.bp
    from webforms.people import (
        accounts,
        api_clients,
        audit,
        auth,
        customer_messages,
        password,
        register,
        sessions,
    )
    from webforms.people import names as people
    from webforms.processes import modeler, versions
    from webforms.reference import admin
    from webforms.reference import message_templates as _message_templates  # noqa: F401 - routes on admin.bp
    from webforms.reference import platform_endpoints as _platform_endpoints  # noqa: F401 - routes on admin.bp
    from webforms.reference import report_recipients as _report_recipients  # noqa: F401 - routes on admin.bp
    from webforms.supervision import assessment, board, handover, hot_spots, reports
    from webforms.supervision import cases as _case_pages  # noqa: F401 - its routes are on cases_blueprint.bp
    from webforms.supervision import incidents as supervise
    from webforms.supervision import notice_recipients as _notice_recipients  # noqa: F401 - routes on cases_blueprint.bp
    from webforms.work import attachments, field, knowledge, notes, notifications, tasks
    from webforms.work import intake as _intake  # noqa: F401 - its routes are on cases_blueprint.bp
    from webforms.work import merging as _merging  # noqa: F401 - its routes are on cases_blueprint.bp

    request_checks.register_converters(app)
    # First: the request id and timing start before any other check may answer.
    request_log.init_app(app)
    metrics.init_app(app)
    request_checks.init_upload_limits(app)
    csrf.init_app(app)
    database.init_app(app)
    i18n.init_app(app)
    auth.init_app(app)
    sessions.init_app(app)
    request_checks.init_app(app)
    security.init_app(app, config.tls)
    errors.init_app(app)
    templating.init_app(app)
    people.init_app(app)
    notifications.init_app(app)
    for blueprint in (
        auth.bp,
        tasks.bp,
        cases_blueprint.bp,
        public.bp,
        case_tracking.bp,
        health.bp,
        metrics.bp,
        notifications.bp,
        supervise.bp,
        handover.bp,
        admin.bp,
        accounts.bp,
        api_clients.bp,
        audit.bp,
        register.bp,
        password.bp,
        field.bp,
        attachments.bp,
        notes.bp,
        reports.bp,
        assessment.bp,
        hot_spots.bp,
        versions.bp,
        board.bp,
        modeler.bp,
        decisions.bp,
        knowledge.bp,
        receipts.bp,
        customer_messages.bp,
    ):
        app.register_blueprint(blueprint)
    api.init_app(app, csrf, auth.login_manager)
    sessions.init_check_in_the_views_unit(app)  # after every other hook: see there
    return app
