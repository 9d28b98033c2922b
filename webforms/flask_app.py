"""The Flask class of the app: Flask's, asking less of each request."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from types import FunctionType, MethodType
from typing import Any

from flask import Flask


class HotlineFlask(Flask):
    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer, found for a plain `def` function or method by its code flags alone: Flask
        asks this of every hook and view on every request, and `inspect.iscoroutinefunction` unwraps
        and tests each one in half a dozen calls. Anything else (a partial, a marked or `async def`
        function) still goes through Flask's own test."""
        plain = func.__func__ if type(func) is MethodType else func
        if (
            type(plain) is FunctionType
            and not plain.__code__.co_flags & inspect.CO_COROUTINE
            and "_is_coroutine_marker" not in plain.__dict__  # inspect.markcoroutinefunction (3.12)
        ):
            return func
        return super().ensure_sync(func)
