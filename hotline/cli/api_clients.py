"""Commands for the administrator: the REST API's clients (`hotline api-clients add|list|revoke`).
The token is printed once, when the client is made; only its hash is kept. Every change is recorded in
the administrative audit, by `--by`."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, time, timedelta

import click

from engine.errors import FormInvalid
from engine.messages import say
from engine.people import API_CLIENT_PROBLEMS, API_SCOPES, add_api_client, api_clients, revoke_api_client
from hotline.cli.services import command_services
from hotline.errors import cli_translation

by_option = click.option(
    "--by", "actor", default="cli", show_default=True, help="Who makes the change (recorded in the audit)."
)


@click.group(
    "api-clients", help="Programs that call the REST API: add (prints the token once), list, revoke."
)
def api_clients_group() -> None:
    pass


@api_clients_group.command("add", help="Add an API client; its token is printed once.")
@click.argument("name")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(API_SCOPES), help="Repeat for several.")
@click.option("--role", required=True, help="The staff role it acts with (operator, dispatcher, …).")
@click.option("--department", "departments", multiple=True, help="A department it acts for; repeat.")
@click.option("--days", default=365, show_default=True, type=click.IntRange(1, 3650), help="Valid for.")
@by_option
def add(
    name: str, scopes: tuple[str, ...], role: str, departments: tuple[str, ...], days: int, actor: str
) -> None:
    services = command_services()
    try:
        with services.unit_of_work() as uow:
            today = uow.clock.now().astimezone(uow.runtime.zone).date()
            expires = datetime.combine(today + timedelta(days=days), time(0, 0), uow.runtime.zone)
            made = add_api_client(
                uow, actor, name, scopes=scopes, role=role, departments=departments, expires_at=expires
            )
            token = made.token
            uow.commit()
    except FormInvalid as refused:
        translate = cli_translation()
        for field, error in refused.errors.items():
            template = API_CLIENT_PROBLEMS.get(error.code)
            click.echo(
                f"{field}: {say(template, dict(error.params), translate) if template else error.code}",
                err=True,
            )
        click.echo("nothing was changed", err=True)
        sys.exit(1)
    click.echo(f"added API client {name}, valid until {expires.astimezone(UTC).date().isoformat()}")
    click.echo("its token (shown only now; keep it secret):")
    click.echo(token)


@api_clients_group.command("list", help="Every API client: scopes, role, expiry, revoked or not.")
def list_cmd() -> None:
    with command_services().unit_of_work(read_only=True) as uow:
        now = uow.clock.now()
        for client in api_clients(uow.session):
            if client.revoked_at is not None:
                state = "revoked"
            elif client.expires_at <= now:
                state = "expired"
            else:
                state = "active"
            groups = " ".join([client.role, *client.department_list])
            click.echo(
                f"{client.name:<20} {client.token_prefix:<11} {client.scopes:<50} {groups:<30} "
                f"{client.expires_at.date().isoformat()} {state}"
            )


@api_clients_group.command("revoke", help="The client's token stops working at once.")
@click.argument("name")
@by_option
def revoke(name: str, actor: str) -> None:
    with command_services().unit_of_work() as uow:
        revoke_api_client(uow, actor, name)
        uow.commit()
    click.echo(f"revoked API client {name}")


COMMANDS = (api_clients_group,)
