"""The REST API under /api/v1: JSON for programs (a phone system, the 12345 platform's bridge), described
by an OpenAPI 3 document made from the code (flask-smorest: marshmallow schemas, apispec) and served at
/api/v1/openapi.json, with a browsable page at /api/v1/docs (Swagger UI, bundled from npm by frontend/).

Views parse the request, call the same use cases as the pages and return plain values; docs/api.md
tells clients how to use it."""

from __future__ import annotations

import http
from typing import Any

from flask import Flask, current_app, render_template
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from webforms.api import problems
from webforms.api.clients import ApiPrincipal, principal_for
from webforms.api.problems import PROBLEM_TYPE
from webforms.api.rate_limiting import init_for_the_api
from webforms.api.schemas import ProblemSchema
from webforms.api.sessions import TokenOnlySessions

API_VERSION = "1.0.0"
# Calls a client may make, unless the setting HOTLINE_API_RATE_LIMIT says otherwise.
DEFAULT_RATE_LIMIT = "600 per minute"


class HotlineApi(Api):  # type: ignore[misc]
    """flask-smorest's Api whose errors are problem details, answered by the API's own handlers."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        """flask-smorest would answer every HTTP error of the whole site in JSON: the pages keep theirs."""

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_TYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _client_key() -> str:
    """Rate limits count per API client; calls without a valid token, per address."""
    user = current_user._get_current_object()
    return f"client:{user.client_id}" if isinstance(user, ApiPrincipal) else get_remote_address()


def _rate_limit() -> str:
    return str(current_app.config.get("HOTLINE_API_RATE_LIMIT") or DEFAULT_RATE_LIMIT)


def _not_the_api() -> bool:
    return not problems.is_api_request()


def init_app(app: Flask, csrf: Any, login_manager: Any) -> None:
    from webforms.api import cases, external_tasks, procedures, tasks, webhooks
    from webforms.api.blueprints import API_BLUEPRINTS
    from webforms.api.events import messages_blp, signals_blp
    from webforms.api.lookups import customers_blp, notices_blp

    app.config.update(
        API_TITLE="Hotline Flow API",
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Open, follow and finish Hotline Flow cases. See docs/api.md."},
            "security": [{"bearer": []}],
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        },
    )
    app.session_interface = TokenOnlySessions()
    login_manager.request_loader(principal_for)
    problems.init_app(app)
    api = HotlineApi(app)
    # Memory storage by default: each web process counts its own calls (docs/api.md); a shared store
    # (redis://, memcached://) is one setting away for a strict limit across processes.
    limiter = Limiter(
        key_func=_client_key,
        storage_uri=app.config.get("HOTLINE_API_RATE_STORAGE") or "memory://",
        headers_enabled=True,
    )
    # Only the API's blueprints have limits: a page's request does not run the limiter's hooks.
    init_for_the_api(app, limiter)
    limiter.request_filter(_not_the_api)
    app.extensions["hotline_api_limiter"] = limiter
    for blueprint in (
        procedures.blp,
        cases.blp,
        tasks.blp,
        notices_blp,
        customers_blp,
        external_tasks.blp,
        messages_blp,
        signals_blp,
        webhooks.blp,
    ):
        assert blueprint in API_BLUEPRINTS
        csrf.exempt(blueprint)
        limiter.limit(_rate_limit)(blueprint)
        api.register_blueprint(blueprint)

    @app.route("/api/v1/docs")
    def api_docs() -> Any:
        return render_template("api/docs.html")
