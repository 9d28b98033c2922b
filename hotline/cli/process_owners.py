"""Commands for the procedures' owners: deploy diagrams, read and compare versions, roll back, move
running cases to another version, and trace rules to diagrams and tests."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from engine.bpmn import DefinitionError
from engine.cases import latest_definition, list_definitions
from engine.db import ProcessDefinition
from engine.decisions import DecisionInvalid, decision_keys, decision_versions, deploy_decision_table
from engine.errors import Conflict
from engine.processes import (
    RULE_LIST,
    CasePlan,
    DiagramProblem,
    InvalidDiagram,
    VersionDiff,
    apply_migration,
    as_markdown,
    as_text,
    callees_first,
    deploy_diagram,
    diagram_key,
    diagram_warnings,
    diff_versions,
    edited_version_over,
    list_versions,
    plan_migration,
    roll_back_to,
    running_cases_by_version,
    stale_english_names,
    trace,
    untraced,
)
from engine.runtime import Actor
from hotline.bootstrap import Services
from hotline.cli.services import command_services
from hotline.errors import said
from hotline.shipped_files import checkout_tests


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


def deploy_files(
    services: Services,
    paths: list[Path],
    actor: str,
    comment: str = "",
    source: str = "cli",
    over_edits: str = "ask",
) -> int:
    """Validate and deploy each file, each in its own unit of work; returns the number refused.
    `over_edits` says what to do when the newest version was edited in the browser or rolled back:
    ask, keep it, or overwrite it."""
    failures = 0
    decisions = [p for p in paths if p.suffix.lower() == ".dmn"]
    # Decisions first: a diagram's business rule task is checked against the deployed decisions.
    for path in decisions:
        failures += _deploy_decision_file(services, path, actor, comment, source)
    for path in _callees_first([p for p in paths if p not in decisions]):
        try:
            xml = path.read_bytes()
            with services.unit_of_work() as uow:
                key = diagram_key(xml)
                edited = edited_version_over(uow.session, xml, key) if key else None
                if edited is not None and (
                    over_edits == "keep" or (over_edits == "ask" and not _confirm_overwrite(path, edited))
                ):
                    click.echo(f"{path}: kept {edited.key} v{edited.version} (not overwritten)")
                    continue
                deployed = latest_definition(uow.session, key, required=False) if key else None
                previous = deployed.bpmn_xml.encode("utf-8") if deployed is not None else None
                result = deploy_diagram(uow, xml, actor, comment, source, str(path))
                uow.commit()
            state = "deployed as" if result.created else "unchanged, still"
            click.echo(f"{path}: {state} {result.definition.key} v{result.definition.version}")
            for warning in [*diagram_warnings(xml), *stale_english_names(xml, previous, key)]:
                click.echo(f"{path}: warning: {_located(warning)}", err=True)
        except InvalidDiagram as err:
            failures += 1
            click.echo(f"{path}: refused, {len(err.problems)} problem(s)", err=True)
            for problem in err.problems:
                click.echo(f"  {_located(problem)}", err=True)
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


def _located(problem: DiagramProblem) -> str:
    """A problem or warning with its element, in the command line's language (HOTLINE_LANGUAGE)."""
    where = problem.element_id or ""
    if where and problem.element_name:
        where = f"{where} ({problem.element_name})"
    return f"{where}: {said(problem)}" if where else said(problem)


def _callees_first(paths: list[Path]) -> list[Path]:
    """The diagrams in the order to deploy them: a procedure another one calls first (its call activity
    is checked against what is deployed); a file that cannot be read last, to say so."""
    readable: list[tuple[Path, bytes]] = []
    for path in paths:
        try:
            readable.append((path, path.read_bytes()))
        except OSError:
            continue
    ordered = [readable[i][0] for i in callees_first([xml for _path, xml in readable])]
    return ordered + [p for p in paths if p not in ordered]


def _deploy_decision_file(services: Services, path: Path, actor: str, comment: str, source: str) -> int:
    """Deploy one DMN file as its decision's next version; 1 when it is refused."""
    try:
        xml = path.read_bytes()
        with services.unit_of_work() as uow:
            result = deploy_decision_table(uow, xml, actor, comment, source, str(path))
            uow.commit()
    except DecisionInvalid as err:
        click.echo(f"{path}: refused, {len(err.problems)} problem(s)", err=True)
        for problem in err.problems:
            click.echo(f"  {said(problem)}", err=True)
        return 1
    except OSError as err:
        click.echo(f"{path}: cannot read: {err.strerror}", err=True)
        return 1
    except Conflict as err:
        click.echo(f"{path}: not deployed: {err}", err=True)
        return 1
    state = "deployed as" if result.created else "unchanged, still"
    click.echo(f"{path}: {state} decision {result.definition.key} v{result.definition.version}")
    return 0


def shipped_files(folder: Path) -> list[Path]:
    """The decision tables and diagrams of a folder, decisions first."""
    return sorted(folder.glob("*.dmn")) + sorted(folder.glob("*.bpmn"))


@click.command(
    "deploy",
    help="Validate BPMN diagrams and DMN decision tables and deploy them as new versions (unchanged files "
    "make no new version; tables before diagrams). Exits 1 and lists the problems when a file is invalid.",
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
    files = [p for path in paths for p in (shipped_files(path) if path.is_dir() else [path])]
    policy = "overwrite" if overwrite else "keep" if keep_edits else "ask"
    if deploy_files(command_services(), files, actor, comment, "cli", policy):
        sys.exit(1)


@click.command(
    "versions", help="List the versions of a process (newest first); --diff A B says what changed."
)
@click.argument("key")
@click.option("--diff", "between", nargs=2, type=int, default=None, help="Two version numbers to compare.")
def versions_cmd(key: str, between: tuple[int, int] | None) -> None:
    services = command_services()
    # Printed inside the unit: leaving a read-only unit rolls back, which expires what it loaded.
    with services.unit_of_work(read_only=True) as uow:
        if between:
            _echo_diff(diff_versions(uow.session, key, *between))
            return
        versions = list_versions(uow.session, key)
        running = running_cases_by_version(uow.session, key)
        if not versions:
            click.echo(f"no process '{key}' is deployed", err=True)
            sys.exit(1)
        for d in versions:
            when = d.deployed_at.astimezone(services.runtime.zone).strftime("%Y-%m-%d %H:%M")
            newest = "  (new cases)" if d is versions[0] else ""
            click.echo(
                f"v{d.version:<4} {when}  {d.deployed_by:<12} {d.source:<9} {running.get(d.version, 0):>4} "
                f"running  {d.comment}{newest}"
            )


def _echo_diff(diff: VersionDiff) -> None:
    click.echo(f"{diff.key}: v{diff.from_version} → v{diff.to_version}")
    if diff.unchanged:
        click.echo("  no change")
    for label, changes in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
        for change in changes:
            name = f" ({change.element_name})" if change.element_name else ""
            click.echo(f"  {label:<8} {change.element_id}{name}: {'; '.join(w.message for w in change.what)}")


@click.command("rollback", help="Deploy an older version of a process again, as its newest version.")
@click.argument("key")
@click.option("--to", "version", type=int, required=True, help="The version to go back to.")
@click.option("--by", "actor", default="cli", show_default=True)
@click.option("--comment", default="")
def rollback_cmd(key: str, version: int, actor: str, comment: str) -> None:
    with command_services().unit_of_work() as uow:
        definition = roll_back_to(uow, key, version, actor, comment)
        uow.commit()
    click.echo(f"{key}: v{version} deployed again as v{definition.version}")


@click.command(
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
    try:
        with command_services().unit_of_work(read_only=dry_run) as uow:
            plans = plan_migration(
                uow.session,
                uow.runtime,
                key,
                from_version,
                to_version,
                list(case_numbers) or None,
                at_element,
            )
            for plan in plans:
                _echo_plan(plan)
            if dry_run:
                movable = sum(p.mappable for p in plans)
                click.echo(
                    f"dry run: {movable} of {len(plans)} case(s) can move to v{to_version}; nothing changed"
                )
                return
            result = apply_migration(uow.session, uow.runtime, plans, Actor(actor))
            uow.commit()
        click.echo(
            f"migrated {len(result.migrated)} case(s) to v{to_version}; "
            f"{len(result.skipped)} stay on v{from_version}"
        )
    except ValueError as err:
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


@click.command("definitions", help="List deployed process definitions and their versions.")
def definitions_cmd() -> None:
    with command_services().unit_of_work(read_only=True) as uow:
        for d in list_definitions(uow.session):
            click.echo(
                f"{d.key:<16} v{d.version:<4} {d.deployed_at:%Y-%m-%d %H:%M} {d.deployed_by:<12} {d.content_hash[:12]}"
            )


@click.command(
    "rules", help="For each rule of docs/procedures.md: the diagram elements and the tests that name it."
)
@click.option(
    "--markdown", is_flag=True, help="Print a Markdown table (docs/traceability.md is this output)."
)
@click.option(
    "--check", is_flag=True, help="Exit 1 if a C/R/L/O/Q rule is named in no diagram or in no test."
)
@click.option(
    "--tests",
    "tests_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="The tests folder to search for rule ids [default: the checkout's tests/, when there is one].",
)
def rules_cmd(markdown: bool, check: bool, tests_dir: Path | None) -> None:
    tests_dir = tests_dir or checkout_tests()
    if tests_dir is None:
        # An installed wheel carries no tests: the diagrams are traced, the tests are not.
        click.echo("no tests folder found (give --tests DIR): tests are not traced", err=True)
    else:
        tests_dir = tests_dir.resolve()  # test names are given relative to the folder above it
    traces = trace(RULE_LIST, command_services().settings.processes_dir, tests_dir)
    click.echo(as_markdown(traces) if markdown else as_text(traces), nl=False)
    problems = untraced(traces, tests_traced=tests_dir is not None)
    if check and problems:
        for problem in problems:
            click.echo(f"untraced: {problem}", err=True)
        sys.exit(1)


@click.command(
    "decisions", help="List the deployed decision tables, or one decision's versions (newest first)."
)
@click.argument("key", required=False)
def decisions_cmd(key: str | None) -> None:
    services = command_services()
    with services.unit_of_work(read_only=True) as uow:
        if key is None:
            for known in decision_keys(uow.session):
                click.echo(known)
            return
        versions = decision_versions(uow.session, key)
        if not versions:
            click.echo(f"no decision '{key}' is deployed", err=True)
            sys.exit(1)
        for d in versions:
            when = d.deployed_at.astimezone(services.runtime.zone).strftime("%Y-%m-%d %H:%M")
            newest = "  (runs now)" if d is versions[0] else ""
            click.echo(f"v{d.version:<4} {when}  {d.deployed_by:<12} {d.source:<9} {d.comment}{newest}")


COMMANDS = (deploy_cmd, decisions_cmd, versions_cmd, rollback_cmd, migrate_cmd, definitions_cmd, rules_cmd)
