"""What every API blueprint shares: the token check before its views, problem details for what they
raise, no CSRF token (a token call carries no cookie), and the per-client rate limit."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from engine.db import is_transient
from engine.errors import HotlineError
from webforms.api.clients import require_client
from webforms.api.problems import busy_problem, engine_problem, http_problem

API_BLUEPRINTS: list[Blueprint] = []


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    blp = Blueprint("api_" + name, __name__, url_prefix="/api/v1" + url_prefix, description=description)
    blp.before_request(require_client)
    blp.register_error_handler(HotlineError, engine_problem)
    blp.register_error_handler(HTTPException, http_problem)

    @blp.errorhandler(SQLAlchemyError)
    def _database_error(err: SQLAlchemyError) -> Any:
        if is_transient(err):
            return busy_problem()
        raise err

    API_BLUEPRINTS.append(blp)
    return blp
