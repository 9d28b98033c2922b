"""The `hotline` command, its subcommands grouped by who runs them.

- operations.py: whoever runs the installation (init-db, serve, worker, demo, timers, attachments);
- outbox.py: the SMS and e-mail outbox (outbox send-once, failed, retry);
- process_owners.py: the procedures' owners (deploy, versions, rollback, migrate, definitions, rules);
- supervisors.py: the supervisors' duties (report, sample);
- accounts.py, departments.py: the administrator's staff accounts (users add, list, edit, disable,
  enable, reset-password) and departments (departments list, add, rename, retire, restore);
- api_clients.py: the REST API's clients (api-clients add, list, revoke).

Every command is thin: it parses its arguments, opens units of work on the services the composition
root builds (hotline.bootstrap), calls the engine and prints the result.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from engine.errors import HotlineError
from hotline.cli import (
    accounts,
    api_clients,
    customers,
    departments,
    operations,
    outbox,
    process_owners,
    supervisors,
    upkeep,
)
from hotline.errors import echo_error
from hotline.logs import configure_logging


class _Commands(click.Group):
    """The command group; an engine error a command does not answer itself is said here, in one way
    (hotline.errors), and the command exits 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except HotlineError as err:
            echo_error(err)
            sys.exit(1)


@click.group(cls=_Commands, help="Hotline Flow: the utility hotline's procedures as BPMN workflows.")
def main() -> None:
    configure_logging()
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


for _audience in (
    operations,
    outbox,
    upkeep,
    process_owners,
    supervisors,
    accounts,
    api_clients,
    departments,
    customers,
):
    for _command in _audience.COMMANDS:
        main.add_command(_command)

__all__ = ["main"]
