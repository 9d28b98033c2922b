"""The outbox for whoever runs the installation: send what is due now, list failed messages, retry one."""

from __future__ import annotations

import sys

import click

from engine.messaging import failed_messages, retry_message
from hotline.cli.services import command_services
from hotline.scheduling import outbox_job, send_messages


@click.group("outbox", help="The SMS and e-mail outbox: send what is due, list failed messages, retry one.")
def outbox() -> None:
    pass


@outbox.command("send-once", help="Send every due message now (what each worker's outbox job does).")
def send_once() -> None:
    services = command_services()
    job = outbox_job(services.settings)
    if not job.gateways:
        click.echo(
            "no gateway is configured (HOTLINE_SMTP_HOST, HOTLINE_SMS_GATEWAY): nothing sent", err=True
        )
        sys.exit(1)
    done = send_messages(services.runtime, services.sessions, job.gateways, job.throttles)
    click.echo(f"sent {done.sent}, to retry {done.retrying}, failed {done.failed}, settled {done.settled}")


@outbox.command("failed", help="List failed messages (the incidents a supervisor retries).")
@click.option("--limit", type=int, default=50, show_default=True)
def failed(limit: int) -> None:
    services = command_services()
    zone = services.runtime.zone
    with services.unit_of_work(read_only=True) as uow:
        rows = failed_messages(uow.session, limit)
    for row in rows:
        at = row.failed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if row.failed_at else ""
        maybe = "  (may have gone out)" if row.maybe_sent else ""
        click.echo(
            f"  #{row.id:<7} {row.case_number or '-':<18} {row.channel:<5} {row.kind:<12} {at}  {row.error}{maybe}"
        )


@outbox.command("retry", help="Send a failed message again.")
@click.argument("message_id", type=int)
def retry(message_id: int) -> None:
    services = command_services()
    with services.unit_of_work() as uow:
        if not retry_message(uow.session, message_id, "cli", uow.clock.now()):
            click.echo(f"message {message_id} is not a failed message", err=True)
            sys.exit(1)
        uow.commit()
    click.echo(f"message {message_id} goes out on the sender's next round")


COMMANDS = (outbox,)
