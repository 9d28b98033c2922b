"""HotlineFlask answers `ensure_sync` as Flask does, without inspect's tests for a plain function."""

from __future__ import annotations

import functools
from typing import Any

import pytest

from webforms.flask_app import HotlineFlask


def plain(value: Any = None) -> Any:
    return value


async def coroutine() -> None:
    return None


class Hooks:
    def method(self) -> str:
        return "ran"

    async def async_method(self) -> None:
        return None


@pytest.fixture
def app() -> HotlineFlask:
    return HotlineFlask(__name__)


def test_plain_functions_and_methods_are_taken_as_they_are(app: HotlineFlask) -> None:
    hooks = Hooks()
    assert app.ensure_sync(plain) is plain
    bound = hooks.method
    assert app.ensure_sync(bound) is bound
    assert app.ensure_sync(bound)() == "ran"
    partial = functools.partial(plain, 1)
    assert app.ensure_sync(partial) is partial  # Flask's own test, which finds it plain too


@pytest.mark.parametrize("async_view", [coroutine, Hooks().async_method, functools.partial(coroutine)])
def test_async_functions_still_go_through_flask(app: HotlineFlask, async_view: Any) -> None:
    """Flask wraps them to run them to their end (and needs asgiref, not installed, to do so)."""
    calls: list[Any] = []

    def wrapped(func: Any) -> Any:
        calls.append(func)
        return plain

    app.async_to_sync = wrapped  # type: ignore[method-assign]
    assert app.ensure_sync(async_view) is plain
    assert calls == [async_view]
