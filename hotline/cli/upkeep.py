"""Commands that keep an installation safe: backing it up and restoring it (SQLite; PostgreSQL has
pg_dump / pg_restore, docs/operations.md), and checking its configuration."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.db import upgrade
from hotline.backup import BackupRefused, BackupSummary, make_backup, restore_backup
from hotline.checks import check_installation
from hotline.cli.services import command_services


def _say(what: str, summary: BackupSummary) -> None:
    counts = summary.counts
    click.echo(
        f"{what} {summary.folder}: {counts['process_instance']} case(s), {counts['event']} event(s), "
        f"{counts['attachment']} attachment(s), {summary.files} attached file(s)"
    )


@click.command(
    help="Back up the SQLite database and the attachments into the new folder PATH, "
    "safely while the server and workers run."
)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False))
def backup(path: Path) -> None:
    services = command_services()
    settings = services.settings
    try:
        summary = make_backup(
            settings.database_url, settings.attachment_folder, path, services.runtime.clock.now()
        )
    except BackupRefused as refused:
        click.echo(f"error: {refused}", err=True)
        sys.exit(1)
    _say("backed up into", summary)


@click.command(
    help="Restore the backup in folder PATH into this installation's database and attachments "
    "folder. Stop the web and worker processes first."
)
@click.argument("path", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--replace", is_flag=True, help="Overwrite a database that already holds cases.")
def restore(path: Path, replace: bool) -> None:
    services = command_services()
    settings = services.settings
    try:
        summary = restore_backup(path, settings.database_url, settings.attachment_folder, replace)
    except BackupRefused as refused:
        click.echo(f"error: {refused}", err=True)
        sys.exit(1)
    upgrade(services.database)  # a backup made before an upgrade gets the newer migrations
    _say("restored from", summary)


@click.command(
    help="Report configuration problems: secret key, attachments folder, time zone, shift "
    "changes, the database and its migrations, a running timer worker. Exit 1 on a problem."
)
@click.option("--before-start", is_flag=True, help="Leave out the running timer worker (nothing runs yet).")
def check(before_start: bool) -> None:
    findings = check_installation(worker=not before_start)
    for finding in findings:
        click.echo(f"{'ok     ' if finding.ok else 'PROBLEM'}  {finding.name}: {finding.detail}")
    problems = sum(not finding.ok for finding in findings)
    if problems:
        click.echo(f"{problems} problem(s)", err=True)
        sys.exit(1)
    click.echo("no problems found")


COMMANDS = (backup, restore, check)
