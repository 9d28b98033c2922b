"""Commands for whoever runs the installation: the schema, the web app and the scheduler, the demo,
and the two things an operator looks after by hand — stuck timers and left-over attached files."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy import func, select

from engine.cases import (
    SWEEP_GRACE,
    latest_definition,
    recently_fired,
    retry_failed_timer,
    timers_by_state,
)
from engine.db import ProcessInstance, upgrade
from engine.decisions import DecisionInvalid, latest_decision, parse_decision
from engine.errors import HotlineError
from engine.processes import diagram_key
from engine.reference import seed_reference_data
from engine.runtime import Runtime
from engine.supervision import sweep_attachment_files
from hotline.bootstrap import Services
from hotline.cli.process_owners import deploy_files, shipped_files
from hotline.cli.services import command_services, safe_url
from hotline.demo import (
    DEMO_USERS,
    create_demo_answers,
    create_demo_cases,
    create_demo_customers,
    create_demo_history,
    create_demo_users,
)


@click.command(
    "init-db",
    help="Create or upgrade the database schema (Alembic migrations), add the reference data and deploy "
    "the shipped procedures that have no version yet. Running it again changes nothing.",
)
def init_db() -> None:
    services = command_services()
    upgrade(services.database)
    with services.unit_of_work() as uow:
        added = seed_reference_data(uow.session, uow.clock, "init-db")
        uow.commit()
    click.echo(f"database ready: {safe_url(services.settings.database_url)} ({added} reference rows added)")
    if _deploy_first_versions(services):
        sys.exit(1)


def _deploy_first_versions(services: Services) -> int:
    """Deploy each shipped diagram whose procedure has no version yet; returns the number refused.
    A procedure already deployed is left to its owner (`hotline deploy`), so an upgrade never replaces
    their versions with the shipped ones."""
    folder = services.settings.processes_dir
    diagrams = sorted(folder.glob("*.bpmn"))
    if not diagrams:
        click.echo(f"warning: no diagrams in {folder} (set HOTLINE_PROCESSES); nothing deployed", err=True)
        return 0
    keys = {path: _diagram_key_of(path) for path in diagrams}
    with services.unit_of_work(read_only=True) as uow:
        kept = {
            key: definition.version
            for key in {key for key in keys.values() if key is not None}
            if (definition := latest_definition(uow.session, key, required=False)) is not None
        }
    for key, version in sorted(kept.items()):
        click.echo(f"{key}: already deployed (v{version}), kept")
    first = [path for path in diagrams if keys[path] not in kept]
    return deploy_files(
        services, _undeployed_decisions(services) + first, "init-db", source="file", over_edits="keep"
    )


def _undeployed_decisions(services: Services) -> list[Path]:
    """The shipped decision tables whose decision has no version yet (a deployed one is its owner's)."""
    found = []
    with services.unit_of_work(read_only=True) as uow:
        for path in sorted(services.settings.processes_dir.glob("*.dmn")):
            try:
                key = parse_decision(path.read_bytes(), str(path)).key
            except (OSError, DecisionInvalid):
                found.append(path)  # deploying it says why
                continue
            if latest_decision(uow.session, key) is None:
                found.append(path)
            else:
                click.echo(f"decision {key}: already deployed, kept")
    return found


def _diagram_key_of(path: Path) -> str | None:
    """The process key a diagram file holds; None when it cannot be read (deploying it says why)."""
    try:
        return diagram_key(path.read_bytes())
    except OSError:
        return None


@click.command(help="Set up a demo: schema, the bundled processes, demo users (one per role) and demo cases.")
def demo() -> None:
    services = command_services()
    upgrade(services.database)
    with services.unit_of_work() as uow:
        # First: validation checks the diagrams' groups against the departments.
        seed_reference_data(uow.session, uow.clock, "demo")
        uow.commit()
    diagrams = shipped_files(services.settings.processes_dir)
    if not diagrams:
        click.echo(f"no diagrams in {services.settings.processes_dir} (set HOTLINE_PROCESSES)", err=True)
        sys.exit(1)
    if deploy_files(services, diagrams, "demo", source="file", over_edits="keep"):
        sys.exit(1)
    with services.unit_of_work() as uow:
        create_demo_users(uow.session, uow.runtime)
        create_demo_customers(uow.session)
        create_demo_answers(uow.session, uow.clock.now())
        has_cases = uow.session.scalar(select(func.count(ProcessInstance.id))) > 0
        uow.commit()
    if not has_cases:
        for number in create_demo_cases(services.sessions, services.runtime):
            click.echo(f"demo case {number}")
        history = create_demo_history(services.sessions, services.runtime)
        click.echo(f"{len(history)} past cases for the reports and KPIs (M1-M4)")
    click.echo("\nDemo logins (password for all: hotline123):")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<16} {', '.join(user.roles):<36} {user.display_name}")


def _start_sandbox(runtime: Runtime) -> None:
    """Start a sandbox process now, so the first script that needs one does not wait for it."""
    try:
        runtime.script_engine.sandbox.pool.warm_up()
    except HotlineError as err:
        click.echo(f"warning: scripts that need a sandbox process will fail: {err}", err=True)


@click.command(help="Run the web application (and, on SQLite, the timer scheduler in the same process).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Leave timers to separate `hotline worker` processes.")
@click.option(
    "--production",
    is_flag=True,
    help="Several web processes under gunicorn (hotline/gunicorn_conf.py), JSON logs; timers are left to "
    "`hotline worker` processes.",
)
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Web processes (--production).")
def serve(host: str, port: int, no_scheduler: bool, production: bool, workers: int | None) -> None:
    if production:
        _serve_with_gunicorn(host, port, workers)
    from hotline.scheduling import outbox_job, start_background_scheduler
    from hotline.web import web_app

    services = command_services()
    app = web_app(services)
    settings = services.settings
    _start_sandbox(services.runtime)
    if not no_scheduler and settings.database_url.startswith("sqlite"):
        start_background_scheduler(
            services.runtime,
            services.sessions,
            settings.shifts(),
            session_limits=settings.session_limits(),
            outbox=outbox_job(settings),
        )
    click.echo(f"Hotline Flow on http://{host}:{port}")
    app.run(host=host, port=port, threaded=True, use_reloader=False)


def _serve_with_gunicorn(host: str, port: int, workers: int | None) -> NoReturn:
    """Replace this process with gunicorn on the shipped configuration (signals then reach it directly)."""
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:hotline.gunicorn_conf"]
    argv += ["--bind", f"{host}:{port}"] + (["--workers", str(workers)] if workers else [])
    argv.append("hotline.web:web_app()")
    sys.stdout.flush()
    os.execv(sys.executable, argv)


@click.command(help="Run the timer scheduler as its own process (for PostgreSQL with several web processes).")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between looks for due timers.")
def worker(interval: float) -> None:
    from hotline.boot_heap import freeze_boot_heap
    from hotline.scheduling import outbox_job, run_blocking_scheduler

    services = command_services()
    _start_sandbox(services.runtime)
    freeze_boot_heap()
    click.echo(f"timer worker on {safe_url(services.settings.database_url)}, every {interval:g} s")
    run_blocking_scheduler(
        services.runtime,
        services.sessions,
        services.settings.shifts(),
        interval,
        session_limits=services.settings.session_limits(),
        outbox=outbox_job(services.settings),
    )


@click.command(
    "timers", help="List pending, overdue and failed timers; --retry ID puts a failed one back in line."
)
@click.option(
    "--retry", "retry_id", type=int, default=None, help="Retry the failed timer (incident) with this id."
)
@click.option("--limit", type=int, default=50, show_default=True, help="Rows per list.")
def timers_cmd(retry_id: int | None, limit: int) -> None:
    services = command_services()
    zone = services.runtime.zone
    if retry_id is not None:
        with services.unit_of_work() as uow:
            if not retry_failed_timer(uow, retry_id, "cli"):
                click.echo(f"timer {retry_id} is not a failed timer", err=True)
                sys.exit(1)
            uow.commit()
        click.echo(f"timer {retry_id} will fire on the scheduler's next round")
        return
    now = services.runtime.clock.now()
    with services.unit_of_work(read_only=True) as uow:
        state = timers_by_state(uow.session, now, limit)
        fired = recently_fired(uow.session, limit)
    for name in ("overdue", "failed", "pending"):
        click.echo(f"{name} ({len(state[name])})")
        for row in state[name]:
            due = row.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            late = f"  late {int((now - row.due_at).total_seconds())}s" if name == "overdue" else ""
            if row.retrying:
                late += f"  retrying ({row.retries})"
                if row.not_before is not None:
                    late += f", next try at {row.not_before.astimezone(zone).strftime('%Y-%m-%d %H:%M:%S')}"
                if row.last_error:
                    at = row.last_error_at.astimezone(zone).strftime("%H:%M:%S") if row.last_error_at else ""
                    late += (
                        f", last error {at}: {row.last_error}" if at else f", last error: {row.last_error}"
                    )
            extra = f"  attempts {row.attempts}: {row.error}" if name == "failed" else ""
            claim = f"  claimed by {row.claimed_by}" if row.claimed_by else ""
            click.echo(
                f"  #{row.id:<6} {row.case_number:<18} {row.element_id:<28} due {due}{late}{claim}{extra}"
            )
    click.echo(f"fired, latest first ({len(fired)})")
    for timer in fired:
        due = timer.due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        click.echo(
            f"  #{timer.id:<6} {timer.case_number:<18} {timer.element_id:<28} due {due}  "
            f"late {timer.lateness.total_seconds():.1f}s"
        )


@click.command(
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
    with command_services().unit_of_work(read_only=True) as uow:
        found = sweep_attachment_files(uow, timedelta(hours=older_than_hours), remove=sweep)
    for path in found:
        click.echo(f"{'removed' if sweep else 'unreferenced'} {path}")
    click.echo(
        f"{len(found)} unreferenced file(s) older than {older_than_hours:g} h "
        f"{'removed' if sweep else 'found; --sweep deletes them'}"
    )


COMMANDS = (init_db, demo, serve, worker, timers_cmd, attachments_cmd)
