"""The web application built on the composition root; gunicorn's entry point.

gunicorn -w 4 'hotline.web:web_app()'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from engine.knowledge import load_dictionary
from hotline.boot_heap import freeze_boot_heap
from hotline.bootstrap import Services, bootstrap
from hotline.settings import Settings
from hotline.signing_key import signing_key
from webforms import create_app
from webforms.config import WebConfig


def web_config(settings: Settings, secret_key: str) -> WebConfig:
    return WebConfig(
        home=settings.home,
        secret_key=secret_key,
        idle_minutes=settings.idle_minutes,
        session_hours=settings.session_hours,
        tls=settings.tls,
        proxies=settings.proxies,
        metrics_token=settings.metrics_token,
        directory=settings.directory,
        receipt_token=settings.outbox.receipt_token,
        api_rate_limit=settings.api_rate_limit,
        api_rate_storage=settings.api_rate_storage,
    )


def web_app(services: Services | None = None, test_config: Mapping[str, Any] | None = None) -> Flask:
    """The app on `services` (default: bootstrapped from the environment).

    Served (no test configuration: each gunicorn worker calls this as it boots), the knowledge search's
    word dictionary is loaded now, so the first suggestion a caller's words bring does not wait for it;
    then what the process has built is taken out of the garbage collector's full passes
    (hotline.boot_heap).
    """
    services = services or bootstrap()
    config = web_config(services.settings, signing_key(services))
    app = create_app(config, services.runtime, services.sessions, dict(test_config or {}))
    if test_config is None:
        load_dictionary()
        freeze_boot_heap()
    return app
