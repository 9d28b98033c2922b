"""Flask-Limiter's request hooks, run for the API's requests only: only the API's blueprints have
limits, yet the limiter's hooks would work out which limits apply (none) on every page's request too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response
from flask_limiter import Limiter

from webforms.api.problems import is_api_request


def init_for_the_api(app: Flask, limiter: Limiter) -> None:
    """`limiter.init_app(app)`, its before, after and teardown hooks skipped on any other request."""
    hooks = (app.before_request_funcs[None], app.after_request_funcs[None], app.teardown_request_funcs[None])
    before = [len(funcs) for funcs in hooks]
    limiter.init_app(app)
    for (funcs, known), only_for_the_api in zip(
        zip(hooks, before, strict=True), (_before, _after, _teardown), strict=True
    ):
        funcs[known:] = [only_for_the_api(hook) for hook in funcs[known:]]


def _before(hook: Callable[[], Any]) -> Callable[[], Any]:
    def for_the_api() -> Any:
        return hook() if is_api_request() else None

    return for_the_api


def _after(hook: Callable[[Response], Response]) -> Callable[[Response], Response]:
    def for_the_api(response: Response) -> Response:
        return hook(response) if is_api_request() else response

    return for_the_api


def _teardown(hook: Callable[[BaseException | None], None]) -> Callable[[BaseException | None], None]:
    def for_the_api(error: BaseException | None = None) -> None:
        if is_api_request():
            hook(error)

    return for_the_api
