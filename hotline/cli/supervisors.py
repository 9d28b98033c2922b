"""Commands for supervisors: make (or show) the weekly and monthly reports, draw and verify the
weekly callback sample. The scheduler does the same on the calendar (engine.supervision.duties)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from engine.supervision import (
    check_recorded_samples,
    covered_span,
    draw_sample,
    make_report,
    period_of_report,
)
from hotline.cli.services import command_services


@click.command(
    "report",
    help="Make (or show, if already made) the weekly (M2) or monthly (M3) report; "
    "by default of the latest period that has ended.",
)
@click.argument("kind", type=click.Choice(["weekly", "monthly"]))
@click.option(
    "--for",
    "for_day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="A day in the period to report on (YYYY-MM-DD).",
)
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), default=None, help="Also write the report as CSV."
)
@click.option(
    "--xlsx",
    "xlsx_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write the report as XLSX.",
)
@click.option(
    "--by", "actor", default="cli", show_default=True, help="Who makes it (recorded with the report)."
)
def report_cmd(
    kind: str, for_day: datetime | None, csv_path: Path | None, xlsx_path: Path | None, actor: str
) -> None:
    from engine.supervision import report_tables, to_csv, to_xlsx
    from hotline.errors import cli_translation

    services = command_services()
    zone = services.runtime.zone
    with services.unit_of_work() as uow:
        report, created = make_report(uow, kind, actor, for_day.date() if for_day else None)
        uow.commit()
    period = period_of_report(report)
    made = report.generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    state = "made now" if created else f"already made at {made}"
    total = report.content["total"]
    click.echo(
        f"{kind} report {period.first}…{period.last} ({period.label}), #{report.id}, {state}: "
        f"received {total['received']}, replied {total['replied']}, closed {total['closed']}"
    )
    start, end = covered_span(report, zone)
    click.echo(f"counts the cases received {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}")
    tables = report_tables(
        kind,
        report.content,
        report.notable_cases,
        generated_at=report.generated_at,
        zone=zone,
        translate=cli_translation("zh_CN"),
    )
    if csv_path is not None:
        csv_path.write_bytes(to_csv(tables))
        click.echo(f"written {csv_path}")
    if xlsx_path is not None:
        xlsx_path.write_bytes(to_xlsx(tables))
        click.echo(f"written {xlsx_path}")


@click.command(
    "sample",
    help="Draw a week's callback sample (M1): at least 5 % of the orders that sent someone "
    "on site, each becoming a callback task; by default last week. --verify re-checks "
    "every recorded draw from its seed.",
)
@click.option(
    "--week",
    "week_day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="A day in the week to sample (YYYY-MM-DD).",
)
@click.option("--verify", is_flag=True, help="Re-draw every recorded sample from its seed and compare.")
@click.option("--by", "actor", default="cli", show_default=True, help="Who draws (recorded with the sample).")
def sample_cmd(week_day: datetime | None, verify: bool, actor: str) -> None:
    services = command_services()
    if verify:
        # Printed inside the unit: leaving a read-only unit rolls back, which expires what it loaded.
        with services.unit_of_work(read_only=True) as uow:
            checks = check_recorded_samples(uow)
            for check in checks:
                sample = check.sample
                click.echo(
                    f"{sample.week_start}: {'ok' if check.ok else 'FAILED'}  "
                    f"{sample.sample_size} of {sample.population_size}, seed {sample.seed}"
                )
        if not all(check.ok for check in checks):
            sys.exit(1)
        return
    with services.unit_of_work() as uow:
        result = draw_sample(uow, actor, week_day.date() if week_day else None)
        uow.commit()
    sample = result.sample
    click.echo(
        f"callback sample {sample.week_start}…{sample.week_end} ({'drawn now' if result.created else 'already drawn'}): "
        f"{sample.sample_size} of {sample.population_size} on-site orders, method {sample.method}, seed {sample.seed}"
    )
    for number in list(sample.chosen["cases"]):
        callback = result.callbacks.get(number)
        click.echo(f"  {number}" + (f" -> callback {callback}" if callback else ""))


COMMANDS = (report_cmd, sample_cmd)
