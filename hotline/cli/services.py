"""The services a command works with, closed when the command ends."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from hotline.bootstrap import Services, bootstrap
from hotline.directory_settings import DirectorySettingsInvalid


def command_services() -> Services:
    """Settings from the environment, the real clock, and a database whose connections close with the command."""
    try:
        services = bootstrap()
    except DirectorySettingsInvalid as invalid:
        raise click.UsageError(str(invalid)) from invalid
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(services.close)
    return services


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
