"""Commands for the administrator: the customer register (M5) imported from the billing system and
exported (`hotline customers …`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.people import (
    MESSAGE_LANGUAGES,
    ImportRefused,
    export_register,
    import_customers,
    read_rows,
    register_size,
    rejected_rows_csv,
    set_customer_message_preferences,
)
from hotline.cli.accounts import by_option
from hotline.cli.services import command_services


@click.group("customers", help="The customer register: import from the billing system, export.")
def customers() -> None:
    pass


@customers.command(
    "import",
    help="Import customers from a CSV or XLSX file, upserting by account number; "
    "rejected rows (line and reason) go to --rejected.",
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--rejected",
    "rejected_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the rejected rows (CSV); default: FILE.rejected.csv when any.",
)
@by_option
def import_cmd(file: Path, rejected_file: Path | None, actor: str) -> None:
    with command_services().unit_of_work() as uow:
        try:
            result = import_customers(uow.session, uow.clock, actor, read_rows(file), file.name)
        except ImportRefused as refused:
            click.echo(f"error: {refused}; nothing was imported", err=True)
            sys.exit(1)
        uow.commit()
    counts = result.as_counts()
    click.echo(", ".join(f"{n} {what}" for what, n in counts.items()))
    if result.rejected:
        target = rejected_file or file.with_name(file.name + ".rejected.csv")
        target.write_text(rejected_rows_csv(result.rejected), encoding="utf-8-sig")
        click.echo(f"rejected rows: {target}")


@customers.command(
    "messages",
    help="How a customer is told of outages: --no-sms (e-mail instead) or --sms, and the language.",
)
@click.argument("account")
@click.option(
    "--no-sms/--sms", "no_sms", default=None, help="No SMS to this customer (e-mail if there is an address)."
)
@click.option(
    "--language", type=click.Choice(MESSAGE_LANGUAGES), default=None, help="The messages' language."
)
def messages_cmd(account: str, no_sms: bool | None, language: str | None) -> None:
    with command_services().unit_of_work() as uow:
        customer = set_customer_message_preferences(uow, account, no_sms, language)
        shown = f"{customer.account_no}: {'no SMS' if customer.no_sms else 'SMS'}, {customer.language}"
        uow.commit()
    click.echo(shown)


@customers.command(
    "export",
    help="Write the register to a CSV file, or XLSX when FILE ends in .xlsx; --masked as a masked role sees "
    "it. A full export is recorded as a view of every customer (M6) by --by.",
)
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--masked", is_flag=True, help="Names, phones and addresses masked.")
@by_option
def export_cmd(file: Path, masked: bool, actor: str) -> None:
    kind = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"
    with command_services().unit_of_work() as uow:
        content = export_register(uow, actor, not masked, kind)
        count = register_size(uow.session)
        uow.commit()
    file.write_bytes(content)
    click.echo(f"{count} customer(s) written to {file}")


COMMANDS = (customers,)
