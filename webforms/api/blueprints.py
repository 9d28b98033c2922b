"""What every API blueprint shares: the token check before its views, problem details for what they
raise, no CSRF token (a token call carries no cookie), and the per-client rate limit."""

from __future__ import annotations

from typing import Any

import flask
from flask_smorest import Blueprint
from sqlalchemy.exc import SQLAlchemyError
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import HTTPException

from engine.db import is_transient
from engine.errors import HotlineError
from webforms.api.clients import require_client
from webforms.api.problems import busy_problem, engine_problem, http_problem
from webforms.json_bodies import load_json

API_BLUEPRINTS: list[Blueprint] = []


class CheckedBodyParser(FlaskParser):
    """webargs' parser with the JSON checks of webforms.json_bodies (a body nested too deeply or with a
    lone surrogate is invalid JSON: 400, not a RecursionError or an encoding error in the view)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return load_json(req.get_data(cache=True))


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    blp = Blueprint("api_" + name, __name__, url_prefix="/api/v1" + url_prefix, description=description)
    blp.ARGUMENTS_PARSER = CheckedBodyParser()
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
