"""Commands for the administrator: staff accounts (`hotline users …`). The first administrator of an
empty database is made here (`hotline users add --admin NAME`); later ones may use the web pages.

A password is asked for twice without echo at a terminal, or read as the first line of standard input
(`printf '%s\\n' "$PW" | hotline users add …`), never taken as an argument (it would stay in the shell's
history and the process list). Every change is recorded in the administrative audit, by `--by`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click

from engine.errors import FormInvalid
from engine.messages import say
from engine.people import (
    ACCOUNT_PROBLEMS,
    add_account,
    reset_password,
    search_accounts,
    set_account_active,
    update_account,
)
from engine.reference import REFERENCE_PROBLEMS
from engine.unit_of_work import UnitOfWork
from hotline.cli.services import command_services
from hotline.errors import cli_translation

by_option = click.option(
    "--by", "actor", default="cli", show_default=True, help="Who makes the change (recorded in the audit)."
)


def _read_password(prompt: str) -> str:
    if sys.stdin.isatty():
        return str(click.prompt(prompt, hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@contextmanager
def administrative_change() -> Iterator[UnitOfWork]:
    """A unit of work that commits when the block ends; a refused form is said field by field (exit 1)."""
    translate = cli_translation()
    try:
        with command_services().unit_of_work() as uow:
            yield uow
            uow.commit()
    except FormInvalid as refused:
        for name, error in refused.errors.items():
            template = ACCOUNT_PROBLEMS.get(error.code) or REFERENCE_PROBLEMS.get(error.code)
            message = say(template, dict(error.params), translate) if template else error.code
            click.echo(f"{name}: {message}", err=True)
        click.echo("nothing was changed", err=True)
        sys.exit(1)


@click.group("users", help="Staff accounts: add, list, change, disable and enable, reset a password.")
def users() -> None:
    pass


@users.command("add", help="Add a staff account; the password is asked for (or read from standard input).")
@click.argument("username")
@click.option("--admin", is_flag=True, help="An administrator (the role admin): adds staff and departments.")
@click.option("--name", "display_name", default="", help="The name shown to others (default: the user name).")
@click.option("--phone", default="")
@click.option("--email", default="")
@click.option("--role", "roles", multiple=True, help="A role (operator, supervisor, …); repeat for several.")
@click.option("--department", "departments", multiple=True, help="A department's code; repeat for several.")
@click.option(
    "--temporary", is_flag=True, help="The owner must choose another password at the first sign-in."
)
@by_option
def add(
    username: str,
    admin: bool,
    display_name: str,
    phone: str,
    email: str,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    temporary: bool,
    actor: str,
) -> None:
    password = _read_password(f"Password for {username}")
    chosen = sorted({*roles, *(("admin",) if admin else ())})
    with administrative_change() as uow:
        user = add_account(
            uow,
            actor,
            username,
            password,
            display_name=display_name,
            phone=phone,
            email=email,
            roles=chosen,
            departments=departments,
            must_change_password=temporary,
        )
        groups = ", ".join(sorted(user.role_names)) or "no role yet"
    click.echo(f"added {username} ({groups})")


@users.command("list", help="Accounts, active first; --search matches user name, name, phone or e-mail.")
@click.option("--search", "text", default="")
@click.option("--group", default="", help="Only holders of this role or department.")
def list_cmd(text: str, group: str) -> None:
    with command_services().unit_of_work(read_only=True) as uow:
        for user in search_accounts(uow.session, text, group=group):
            state = "active" if user.active else "disabled"
            if user.active and user.must_change_password:
                state = "must change password"
            if user.directory_managed:
                state += ", directory"
            groups = ",".join(sorted(user.role_names))
            click.echo(f"{user.username:<20} {user.display_name:<16} {groups:<40} {state}")


@users.command("edit", help="Change the name, phone or e-mail; with --role/--department, set the groups.")
@click.argument("username")
@click.option("--name", "display_name", default=None)
@click.option("--phone", default=None)
@click.option("--email", default=None)
@click.option("--role", "roles", multiple=True, help="The roles it holds from now on (replaces them).")
@click.option("--department", "departments", multiple=True, help="The departments (replaces them).")
@click.option("--no-roles", is_flag=True, help="Take every role away.")
@click.option("--no-departments", is_flag=True, help="Take every department away.")
@by_option
def edit(
    username: str,
    display_name: str | None,
    phone: str | None,
    email: str | None,
    roles: tuple[str, ...],
    departments: tuple[str, ...],
    no_roles: bool,
    no_departments: bool,
    actor: str,
) -> None:
    with administrative_change() as uow:
        changes = update_account(
            uow,
            actor,
            username,
            display_name=display_name,
            phone=phone,
            email=email,
            roles=roles if roles or no_roles else None,
            departments=departments if departments or no_departments else None,
        )
    if not changes:
        click.echo(f"{username}: nothing changed")
    for name, (before, after) in changes.items():
        click.echo(f"{username}: {name} {before!r} -> {after!r}")


def _set_active(active: bool) -> Callable[[str, str], None]:
    def command(username: str, actor: str) -> None:
        with administrative_change() as uow:
            changed = set_account_active(uow, actor, username, active)
        state = "enabled" if active else "disabled (its sessions have ended)"
        click.echo(f"{username} {state}" if changed else f"{username} was already {state.split()[0]}")

    return command


users.command("disable", help="Disable an account: no sign-in, its sessions end; its history stays.")(
    click.argument("username")(by_option(_set_active(False)))
)
users.command("enable", help="Enable a disabled account again.")(
    click.argument("username")(by_option(_set_active(True)))
)


@users.command(
    "reset-password",
    help="Set a temporary password (asked for, or read from standard input); the owner must choose "
    "their own at the next sign-in, and the account's sessions end.",
)
@click.argument("username")
@by_option
def reset_password_cmd(username: str, actor: str) -> None:
    password = _read_password(f"Temporary password for {username}")
    with administrative_change() as uow:
        reset_password(uow, actor, username, password)
    click.echo(f"{username}: password reset; a new one must be chosen at the next sign-in")


COMMANDS = (users,)
