"""The `hotline` command. Thin: it parses arguments, opens the transaction, and calls the engine."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import Engine as SqlEngine
from sqlalchemy import func, select

from engine.bpmn.parser import DefinitionError
from engine.bpmn.validation import InvalidDiagram, diagram_key
from engine.cases.due_timers import recently_fired, retry_timer, timers_by_state
from engine.db.models import ProcessDefinition, ProcessInstance
from engine.db.schema import upgrade
from engine.db.session import make_engine, make_session_factory
from engine.errors import Conflict, NotFound
from engine.processes.deployment import list_definitions
from engine.processes.migration import CasePlan, apply_migration, plan_migration
from engine.processes.traceability import as_markdown, as_text, trace, untraced
from engine.processes.versions import (
    VersionDiff,
    deploy_checked,
    diff_versions,
    edited_version_over,
    list_versions,
    redeploy,
    running_cases_by_version,
)
from engine.reference.data import seed_reference_data
from engine.runtime import Actor, Runtime
from engine.work.attachments import SWEEP_GRACE, sweep_orphans
from hotline.demo import (
    DEMO_USERS,
    create_demo_cases,
    create_demo_customers,
    create_demo_history,
    create_demo_users,
)
from hotline.errors import cli_translation
from hotline.settings import Settings


def _database(settings: Settings) -> SqlEngine:
    """The command's database engine; its connections are closed when the command ends."""
    db = make_engine(settings.database_url)
    context = click.get_current_context(silent=True)
    if context is not None:
        context.call_on_close(db.dispose)
    return db


def _runtime(settings: Settings) -> tuple[Runtime, object]:
    return Runtime(zone=ZoneInfo(settings.timezone)), make_session_factory(_database(settings))


@click.group(help="Hotline Flow: the utility hotline's procedures as BPMN workflows.")
def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


@main.command("init-db", help="Create or upgrade the database schema (Alembic migrations).")
def init_db() -> None:
    settings = Settings.from_env()
    upgrade(_database(settings))
    _engine, factory = _runtime(settings)
    with factory.begin() as session:  # type: ignore[attr-defined]
        added = seed_reference_data(session)
    click.echo(f"database ready: {_safe_url(settings.database_url)} ({added} reference rows added)")


def _confirm_overwrite(path: Path, edited: ProcessDefinition) -> bool:
    click.echo(
        f"{path}: {edited.key} v{edited.version} was changed ({edited.source}) by {edited.deployed_by} on "
        f"{edited.deployed_at:%Y-%m-%d %H:%M}" + (f": {edited.comment}" if edited.comment else ""),
        err=True,
    )
    try:
        return click.confirm(f"Overwrite it with {path.name} as a new version?", default=False, err=True)
    except click.Abort:
        return False


def _deploy_paths(
    engine: Runtime,
    factory: object,
    paths: list[Path],
    actor: str,
    comment: str = "",
    source: str = "cli",
    over_edits: str = "ask",
) -> int:
    """Validate and deploy each file; returns the number refused. `over_edits` says what to do when the
    newest version was edited in the browser or rolled back: ask, keep it, or overwrite it."""
    failures = 0
    for path in paths:
        try:
            xml = path.read_bytes()
            with factory.begin() as session:  # type: ignore[attr-defined]
                key = diagram_key(xml)
                edited = edited_version_over(session, xml, key) if key else None
                if edited is not None and (
                    over_edits == "keep" or (over_edits == "ask" and not _confirm_overwrite(path, edited))
                ):
                    click.echo(f"{path}: kept {edited.key} v{edited.version} (not overwritten)")
                    continue
                result = deploy_checked(session, engine, xml, actor, comment, source, str(path))
            state = "deployed as" if result.created else "unchanged, still"
            click.echo(f"{path}: {state} {result.definition.key} v{result.definition.version}")
        except InvalidDiagram as err:
            failures += 1
            click.echo(f"{path}: refused, {len(err.problems)} problem(s)", err=True)
            for problem in err.problems:
                click.echo(f"  {problem}", err=True)
        except DefinitionError as err:
            failures += 1
            click.echo(f"{err.file_name}: refused", err=True)
            for definition_problem in err.problems:
                click.echo(f"  {definition_problem}", err=True)
        except OSError as err:
            failures += 1
            click.echo(f"{path}: cannot read: {err.strerror}", err=True)
        except Conflict as err:
            failures += 1
            click.echo(f"{path}: not deployed: {err}", err=True)
    return failures


@main.command(
    help="Validate BPMN files and deploy them as new versions of their processes (unchanged files make "
    "no new version). Exits 1 and lists the problems when a file is invalid."
)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--by", "actor", default="cli", show_default=True, help="Who deploys (recorded with the version)."
)
@click.option("--comment", default="", help="Why: recorded with the version and in the audit log.")
@click.option(
    "--yes", "overwrite", is_flag=True, help="Overwrite versions edited in the browser without asking."
)
@click.option("--keep-edits", is_flag=True, help="Keep versions edited in the browser without asking.")
def deploy_cmd(paths: tuple[Path, ...], actor: str, comment: str, overwrite: bool, keep_edits: bool) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    files = [p for path in paths for p in (sorted(path.glob("*.bpmn")) if path.is_dir() else [path])]
    policy = "overwrite" if overwrite else "keep" if keep_edits else "ask"
    if _deploy_paths(engine, factory, files, actor, comment, "cli", policy):
        sys.exit(1)


main.add_command(deploy_cmd, "deploy")


@main.command("versions", help="List the versions of a process (newest first); --diff A B says what changed.")
@click.argument("key")
@click.option("--diff", "between", nargs=2, type=int, default=None, help="Two version numbers to compare.")
def versions_cmd(key: str, between: tuple[int, int] | None) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    with factory() as session:  # type: ignore[operator]
        try:
            if between:
                _echo_diff(diff_versions(session, key, *between))
                return
            versions = list_versions(session, key)
            running = running_cases_by_version(session, key)
        except NotFound as err:
            click.echo(str(err), err=True)
            sys.exit(1)
    if not versions:
        click.echo(f"no process '{key}' is deployed", err=True)
        sys.exit(1)
    for d in versions:
        when = d.deployed_at.astimezone(engine.zone).strftime("%Y-%m-%d %H:%M")
        newest = "  (new cases)" if d is versions[0] else ""
        click.echo(
            f"v{d.version:<4} {when}  {d.deployed_by:<12} {d.source:<9} {running.get(d.version, 0):>4} running"
            f"  {d.comment}{newest}"
        )


def _echo_diff(diff: VersionDiff) -> None:
    click.echo(f"{diff.key}: v{diff.from_version} → v{diff.to_version}")
    if diff.unchanged:
        click.echo("  no change")
    for label, changes in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
        for change in changes:
            name = f" ({change.element_name})" if change.element_name else ""
            click.echo(f"  {label:<8} {change.element_id}{name}: {'; '.join(w.message for w in change.what)}")


@main.command("rollback", help="Deploy an older version of a process again, as its newest version.")
@click.argument("key")
@click.option("--to", "version", type=int, required=True, help="The version to go back to.")
@click.option("--by", "actor", default="cli", show_default=True)
@click.option("--comment", default="")
def rollback_cmd(key: str, version: int, actor: str, comment: str) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    try:
        with factory.begin() as session:  # type: ignore[attr-defined]
            definition = redeploy(session, engine, key, version, actor, comment)
            click.echo(f"{key}: v{version} deployed again as v{definition.version}")
    except (NotFound, InvalidDiagram, Conflict) as err:
        click.echo(str(err), err=True)
        sys.exit(1)


@main.command(
    "migrate",
    help="Move running cases of a process from one version to another; --dry-run only "
    "says where each case's tokens would land and which cases cannot move.",
)
@click.argument("key")
@click.option("--from", "from_version", type=int, required=True)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--dry-run", is_flag=True, help="Show the plan; change nothing.")
@click.option("--case", "case_numbers", multiple=True, help="Only this case (repeat for several).")
@click.option("--at", "at_element", default=None, help="Only cases with an open task at this element id.")
@click.option("--by", "actor", default="cli", show_default=True)
def migrate_cmd(
    key: str,
    from_version: int,
    to_version: int,
    dry_run: bool,
    case_numbers: tuple[str, ...],
    at_element: str | None,
    actor: str,
) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    opener = factory if dry_run else factory.begin  # type: ignore[attr-defined]
    try:
        with opener() as session:  # type: ignore[operator]
            plans = plan_migration(
                session, engine, key, from_version, to_version, list(case_numbers) or None, at_element
            )
            for plan in plans:
                _echo_plan(plan)
            if dry_run:
                movable = sum(p.mappable for p in plans)
                click.echo(
                    f"dry run: {movable} of {len(plans)} case(s) can move to v{to_version}; nothing changed"
                )
                return
            result = apply_migration(session, engine, plans, Actor(actor))
        click.echo(
            f"migrated {len(result.migrated)} case(s) to v{to_version}; "
            f"{len(result.skipped)} stay on v{from_version}"
        )
    except (NotFound, ValueError) as err:
        click.echo(str(err), err=True)
        sys.exit(1)


def _echo_plan(plan: CasePlan) -> None:
    state = "can move" if plan.mappable else "cannot move"
    click.echo(f"{plan.case_number}: {state}")
    for token in plan.tokens:
        target = f"{token.target_id} ({token.target_name})" if token.target_id else "— nowhere"
        click.echo(f"  {token.state:<8} {token.element_id} ({token.element_name}) → {target}")
    for reason in plan.reasons:
        click.echo(f"  ! {reason.message}")


@main.command(help="Set up a demo: schema, the bundled processes, demo users (one per role) and demo cases.")
def demo() -> None:
    settings = Settings.from_env()
    upgrade(_database(settings))
    engine, factory = _runtime(settings)
    with factory.begin() as session:  # type: ignore[attr-defined]
        seed_reference_data(session)  # first: validation checks the diagrams' groups against the departments
    if _deploy_paths(
        engine,
        factory,
        sorted(settings.processes_dir.glob("*.bpmn")),
        "demo",
        source="file",
        over_edits="keep",
    ):
        sys.exit(1)
    with factory.begin() as session:  # type: ignore[attr-defined]
        create_demo_users(session, engine)
        create_demo_customers(session)
        has_cases = session.scalar(select(func.count(ProcessInstance.id))) > 0
    if not has_cases:
        for number in create_demo_cases(factory, engine):  # type: ignore[arg-type]
            click.echo(f"demo case {number}")
        history = create_demo_history(factory, engine)  # type: ignore[arg-type]
        click.echo(f"{len(history)} past cases for the reports and KPIs (M1-M4)")
    click.echo("\nDemo logins (password for all: hotline123):")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<16} {', '.join(user.roles):<36} {user.display_name}")


@main.command(help="Run the web application (and, on SQLite, the timer scheduler in the same process).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Leave timers to separate `hotline worker` processes.")
def serve(host: str, port: int, no_scheduler: bool) -> None:
    from hotline.scheduling import start_background_scheduler
    from webforms import create_app

    settings = Settings.from_env()
    app = create_app(settings=settings)
    if not no_scheduler and settings.database_url.startswith("sqlite"):
        start_background_scheduler(
            app.extensions["hotline"].runtime, app.extensions["hotline"].sessions, settings.shifts()
        )
    click.echo(f"Hotline Flow on http://{host}:{port}")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command(help="Run the timer scheduler as its own process (for PostgreSQL with several web processes).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between looks for due timers.")
def worker(interval: float) -> None:
    from hotline.scheduling import run_blocking_scheduler

    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    engine.attachment_folder = settings.attachment_folder  # the daily sweep of unreferenced files
    click.echo(f"timer worker on {_safe_url(settings.database_url)}, every {interval:g} s")
    run_blocking_scheduler(engine, factory, settings.shifts(), interval)  # type: ignore[arg-type]


PROJECT_ROOT = Path(__file__).resolve().parent.parent


@main.command(
    "rules", help="For each rule of docs/procedures.md: the diagram elements and the tests that name it."
)
@click.option(
    "--markdown", is_flag=True, help="Print a Markdown table (docs/traceability.md is this output)."
)
@click.option(
    "--check", is_flag=True, help="Exit 1 if a C/R/L/O/Q rule is named in no diagram or in no test."
)
def rules_cmd(markdown: bool, check: bool) -> None:
    traces = trace(
        PROJECT_ROOT / "docs" / "procedures.md",
        Settings.from_env().processes_dir,
        PROJECT_ROOT / "tests",
        PROJECT_ROOT,
    )
    click.echo(as_markdown(traces) if markdown else as_text(traces), nl=False)
    problems = untraced(traces)
    if check and problems:
        for problem in problems:
            click.echo(f"untraced: {problem}", err=True)
        sys.exit(1)


@main.command(
    "timers", help="List pending, overdue and failed timers; --retry ID puts a failed one back in line."
)
@click.option(
    "--retry", "retry_id", type=int, default=None, help="Retry the failed timer (incident) with this id."
)
@click.option("--limit", type=int, default=50, show_default=True, help="Rows per list.")
def timers_cmd(retry_id: int | None, limit: int) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    now = engine.clock.now()
    if retry_id is not None:
        with factory.begin() as session:  # type: ignore[attr-defined]
            if not retry_timer(session, retry_id, "cli", now):
                click.echo(f"timer {retry_id} is not a failed timer", err=True)
                sys.exit(1)
        click.echo(f"timer {retry_id} will fire on the scheduler's next round")
        return
    with factory() as session:  # type: ignore[attr-defined]
        state = timers_by_state(session, now, limit)
        fired = recently_fired(session, limit)
    for name in ("overdue", "failed", "pending"):
        click.echo(f"{name} ({len(state[name])})")
        for row in state[name]:
            due = row.due_at.astimezone(engine.zone).strftime("%Y-%m-%d %H:%M:%S")
            late = f"  late {int((now - row.due_at).total_seconds())}s" if name == "overdue" else ""
            extra = f"  attempts {row.attempts}: {row.error}" if name == "failed" else ""
            claim = f"  claimed by {row.claimed_by}" if row.claimed_by else ""
            click.echo(
                f"  #{row.id:<6} {row.case_number:<18} {row.element_id:<28} due {due}{late}{claim}{extra}"
            )
    click.echo(f"fired, latest first ({len(fired)})")
    for timer in fired:
        due = timer.due_at.astimezone(engine.zone).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"  #{timer.id:<6} {timer.case_number:<18} {timer.element_id:<28} due {due}  "
            f"late {timer.lateness.total_seconds():.1f}s"
        )


@main.command(
    "attachments",
    help="Attached files no case refers to (left by uploads that were rolled back): "
    "lists them; --sweep deletes them.",
)
@click.option("--sweep", is_flag=True, help="Delete them (without it, only list what a sweep would delete).")
@click.option(
    "--older-than-hours",
    type=click.FloatRange(min=0),
    default=SWEEP_GRACE.total_seconds() / 3600,
    show_default=True,
    help="Grace period: younger files may belong to an upload still being recorded.",
)
def attachments_cmd(sweep: bool, older_than_hours: float) -> None:
    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    with factory() as session:  # type: ignore[operator]
        found = sweep_orphans(
            session,
            settings.attachment_folder,
            engine.clock.now(),
            timedelta(hours=older_than_hours),
            remove=sweep,
        )
    for path in found:
        click.echo(f"{'removed' if sweep else 'unreferenced'} {path}")
    click.echo(
        f"{len(found)} unreferenced file(s) older than {older_than_hours:g} h "
        f"{'removed' if sweep else 'found; --sweep deletes them'}"
    )


@main.command("definitions", help="List deployed process definitions and their versions.")
def definitions_cmd() -> None:
    settings = Settings.from_env()
    _engine, factory = _runtime(settings)
    with factory() as session:  # type: ignore[operator]
        for d in list_definitions(session):
            click.echo(
                f"{d.key:<16} v{d.version:<4} {d.deployed_at:%Y-%m-%d %H:%M} {d.deployed_by:<12} {d.content_hash[:12]}"
            )


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command(
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
def report_cmd(kind: str, for_day: object, csv_path: Path | None, xlsx_path: Path | None, actor: str) -> None:
    from engine.supervision.reports.export import report_tables, to_csv, to_xlsx
    from engine.supervision.reports.periods import period_of_kind
    from engine.supervision.reports.store import KINDS, generate_report, latest_due_period

    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    period = (
        period_of_kind(KINDS[kind], for_day.date())
        if for_day is not None  # type: ignore[attr-defined]
        else latest_due_period(kind, engine.clock.now(), engine.zone)
    )
    with factory.begin() as session:  # type: ignore[attr-defined]
        report, created = generate_report(session, engine, kind, period, actor)
        content, notable, generated_at = report.content, report.notable_cases, report.generated_at
        made = report.generated_at.astimezone(engine.zone).strftime("%Y-%m-%d %H:%M")
    state = "made now" if created else f"already made at {made}"
    total = content["total"]
    click.echo(
        f"{kind} report {period.first}…{period.last} ({period.label}), #{report.id}, {state}: "
        f"received {total['received']}, replied {total['replied']}, closed {total['closed']}"
    )
    tables = report_tables(
        kind,
        content,
        notable,
        generated_at=generated_at,
        zone=engine.zone,
        translate=cli_translation("zh_CN"),
    )
    if csv_path is not None:
        csv_path.write_bytes(to_csv(tables))
        click.echo(f"written {csv_path}")
    if xlsx_path is not None:
        xlsx_path.write_bytes(to_xlsx(tables))
        click.echo(f"written {xlsx_path}")


@main.command(
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
def sample_cmd(week_day: object, verify: bool, actor: str) -> None:
    from engine.supervision.reports.periods import week_of
    from engine.supervision.sampling import draw_weekly_sample, latest_due_week, list_samples, verify_draw

    settings = Settings.from_env()
    engine, factory = _runtime(settings)
    if verify:
        with factory() as session:  # type: ignore[operator]
            samples = list_samples(session, limit=10_000)
            failed = [s.week_start for s in samples if not verify_draw(s)]
        for sample in samples:
            click.echo(
                f"{sample.week_start}: {'FAILED' if sample.week_start in failed else 'ok'}  "
                f"{sample.sample_size} of {sample.population_size}, seed {sample.seed}"
            )
        if failed:
            sys.exit(1)
        return
    week = (
        week_of(week_day.date())
        if week_day is not None  # type: ignore[attr-defined]
        else latest_due_week(engine.clock.now(), engine.zone)
    )
    with factory.begin() as session:  # type: ignore[attr-defined]
        result = draw_weekly_sample(session, engine, week, actor)
        sample = result.sample
        line = (
            f"callback sample {sample.week_start}…{sample.week_end} ({'drawn now' if result.created else 'already drawn'}): "
            f"{sample.sample_size} of {sample.population_size} on-site orders, method {sample.method}, seed {sample.seed}"
        )
        chosen = list(sample.chosen["cases"])
    click.echo(line)
    for number in chosen:
        callback = result.callbacks.get(number)
        click.echo(f"  {number}" + (f" -> callback {callback}" if callback else ""))
