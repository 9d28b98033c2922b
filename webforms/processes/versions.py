"""Process owners' pages: the versions of a procedure (who deployed what, when and why), what changed
between two versions with both diagrams side by side, rollback, deploying the latest draft, and the
migration of running cases (filter, dry run, apply), and the list of procedures every process owner's
page starts from. The diagram editor is webforms/processes/modeler.py (/modeler/<key>)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from engine.cases import parsed_definition
from engine.errors import Conflict
from engine.processes import (
    InvalidDiagram,
    deploy_latest_draft,
    diagram_warnings,
    diff_versions,
    get_version,
    latest_draft,
    list_audit,
    list_versions,
    migrate_cases,
    plan_migration,
    roll_back_to,
    running_cases_by_version,
    stale_english_names,
    validate_diagram,
)
from webforms.database import read_only, reading_session, reads_only, runtime, unit_of_work
from webforms.diagram_names import element_labels, process_label, user_task_names
from webforms.errors import refusals
from webforms.people.auth import roles_required
from webforms.processes.problem_messages import deploy_conflict
from webforms.processes.procedure_list import list_procedures
from webforms.request_checks import LARGEST_ID, int_arg

bp = Blueprint("versions", __name__)
OWNER = "process_owner"

SOURCE_LABELS = {
    "file": _l("shipped file"),
    "cli": _l("command line"),
    "browser": _l("modeler"),
    "rollback": _l("rollback"),
    "migration": _l("migration"),
}
ACTION_LABELS = {
    "deploy": _l("Version deployed"),
    "rollback": _l("Rolled back"),
    "migrate": _l("Cases migrated"),
}
TOKEN_STATES = {
    "ready": _l("open task"),
    "waiting": _l("waiting (timer)"),
    "started": _l("running"),
    "error": _l("failed"),
}


@bp.app_template_filter("json_in_script")
def json_in_script(text: str) -> Markup:
    """JSON inside <script type="application/json">: no "<", so nothing in it can end the element."""
    return Markup(text.replace("<", "\\u003c"))


def _versions_or_404(key: str) -> list[Any]:
    versions = list_versions(reading_session(), key)
    if not versions:
        abort(404)
    return versions


def _draft_problems(key: str) -> tuple[Any, list[Any]]:
    draft = latest_draft(reading_session(), key)
    if draft is None:
        return None, []
    return draft, validate_diagram(
        reading_session(),
        draft.bpmn_xml.encode("utf-8"),
        runtime().clock,
        runtime().zone,
        sandbox=runtime().script_engine.sandbox,
    )


def _draft_warnings(draft: Any, newest: Any) -> list[Any]:
    if draft is None:
        return []
    xml = draft.bpmn_xml.encode("utf-8")
    return [*diagram_warnings(xml), *stale_english_names(xml, newest.bpmn_xml.encode("utf-8"), newest.key)]


def _versions_page(key: str, problems: list[Any] | None = None, status: int = 200) -> Any:
    versions = _versions_or_404(key)
    draft, draft_problems = _draft_problems(key)
    newest = versions[0].version
    shown_problems = problems if problems is not None else draft_problems
    readable = draft is not None and not any(p.element_id is None for p in draft_problems)
    return render_template(
        "processes/versions.html",
        key=key,
        name=process_label(versions[0]),
        versions=versions,
        newest=newest,
        running=running_cases_by_version(reading_session(), key),
        draft=draft,
        draft_problems=shown_problems,
        draft_drawn=readable and bool(draft_problems),
        # Deployable, but worth a look (as /modeler/validate and `hotline deploy` say): the draft's and
        # those of the version new cases start on.
        draft_warnings=_draft_warnings(draft, versions[0]),
        newest_warnings=diagram_warnings(versions[0].bpmn_xml.encode("utf-8")),
        draft_markers=json.dumps({"problem": sorted({p.element_id for p in draft_problems if p.element_id})}),
        audit=list_audit(reading_session(), key, limit=30),
        source_labels=SOURCE_LABELS,
        action_labels=ACTION_LABELS,
        diff_from=versions[1].version if len(versions) > 1 else newest,
        diff_to=newest,
    ), status


@bp.route("/processes")
@roles_required(OWNER)
@reads_only
def index() -> Any:
    return render_template(
        "processes/processes.html",
        procedures=list_procedures(reading_session()),
        source_labels=SOURCE_LABELS,
        values=request.args,
    )


@bp.route("/processes/<key>/versions")
@roles_required(OWNER)
@reads_only
def versions(key: str) -> Any:
    return _versions_page(key)


@bp.route("/processes/<key>/versions/<int:version>/download")
@roles_required(OWNER)
@reads_only
def download(key: str, version: int) -> Any:
    definition = get_version(reading_session(), key, version)
    return Response(
        definition.bpmn_xml,
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{key}-v{version}.bpmn"'},
    )


def _version_arg(name: str, default: int) -> int:
    if request.args.get(name) is None:
        return default
    version = int_arg(name, lowest=0)
    if version is None:
        abort(400)
    return version


@bp.route("/processes/<key>/versions/diff")
@roles_required(OWNER)
@reads_only
def diff(key: str) -> Any:
    versions = _versions_or_404(key)
    newest = versions[0].version
    from_version = _version_arg("from", versions[1].version if len(versions) > 1 else newest)
    to_version = _version_arg("to", newest)
    old, new = (
        get_version(reading_session(), key, from_version),
        get_version(reading_session(), key, to_version),
    )
    changes = diff_versions(reading_session(), key, from_version, to_version)
    markers = changes.markers()
    return render_template(
        "processes/version_diff.html",
        key=key,
        name=process_label(versions[0]),
        versions=versions,
        old=old,
        new=new,
        diff=changes,
        element_names={
            **element_labels(parsed_definition(runtime(), old)),
            **element_labels(parsed_definition(runtime(), new)),
        },
        old_markers=json.dumps({"removed": markers["removed"], "changed": markers["changed"]}),
        new_markers=json.dumps({"added": markers["added"], "changed": markers["changed"]}),
        source_labels=SOURCE_LABELS,
    )


def _deploy_conflict(err: Conflict, key: str, **_url_values: Any) -> Any:
    flash(deploy_conflict(err), "error")
    return _page_in_read_only_unit(key, status=409)


def _page_in_read_only_unit(key: str, problems: list[Any] | None = None, status: int = 200) -> Any:
    with read_only():
        return _versions_page(key, problems, status)


def _not_deployed_again(err: InvalidDiagram, key: str, version: int) -> Any:
    flash(
        _("Version %(version)s cannot be deployed again as it is; nothing was changed.", version=version),
        "error",
    )
    return _page_in_read_only_unit(key, err.problems, 400)


@bp.route("/processes/<key>/versions/<int:version>/rollback", methods=["POST"])
@roles_required(OWNER)
@refusals({InvalidDiagram: _not_deployed_again, Conflict: _deploy_conflict})
def rollback(key: str, version: int) -> Any:
    with unit_of_work() as uow:
        definition = roll_back_to(uow, key, version, current_user.username, request.form.get("comment", ""))
        uow.commit()
    flash(
        _(
            "Version %(old)s is deployed again as version %(new)s. New cases start on it.",
            old=version,
            new=definition.version,
        ),
        "success",
    )
    return redirect(url_for("versions.versions", key=key))


def _draft_not_deployed(err: InvalidDiagram, key: str) -> Any:
    flash(_("The draft has problems and was not deployed. Fix them in the modeler first."), "error")
    return _page_in_read_only_unit(key, err.problems, 400)


@bp.route("/processes/<key>/versions/deploy-draft", methods=["POST"])
@roles_required(OWNER)
@refusals({InvalidDiagram: _draft_not_deployed, Conflict: _deploy_conflict})
def deploy_draft(key: str) -> Any:
    with unit_of_work() as uow:
        if latest_draft(uow.session, key) is None:
            abort(404)
        result = deploy_latest_draft(uow, key, current_user.username, request.form.get("comment", ""))
        uow.commit()
    if result.created:
        flash(
            _(
                "The draft is deployed as version %(version)s. New cases start on it.",
                version=result.definition.version,
            ),
            "success",
        )
    else:
        flash(
            _(
                "The draft is the same as version %(version)s; no new version was made.",
                version=result.definition.version,
            ),
            "info",
        )
    return redirect(url_for("versions.versions", key=key))


def _case_numbers(text: str) -> list[str] | None:
    numbers = [n for n in re.split(r"[\s,;，；]+", text.strip()) if n]
    return numbers or None


@bp.route("/processes/<key>/migrate")
@roles_required(OWNER)
@reads_only
def migrate(key: str) -> Any:
    versions = _versions_or_404(key)
    newest = versions[0].version
    running = running_cases_by_version(reading_session(), key)
    older_with_cases = [v.version for v in versions if v.version != newest and running.get(v.version)]
    from_version = _version_arg("from", older_with_cases[0] if older_with_cases else newest)
    to_version = _version_arg("to", newest)
    cases_text = request.args.get("cases", "")
    at_element = request.args.get("at", "") or None
    plans = None
    if request.args.get("dry_run") and from_version != to_version:
        get_version(reading_session(), key, from_version)
        plans = plan_migration(
            reading_session(), runtime(), key, from_version, to_version, _case_numbers(cases_text), at_element
        )
    elif request.args.get("dry_run"):
        flash(_("Choose two different versions."), "error")
    steps = sorted(_user_task_names(key, from_version).items(), key=lambda item: item[1])
    return render_template(
        "processes/migrate.html",
        key=key,
        name=process_label(versions[0]),
        versions=versions,
        running=running,
        from_version=from_version,
        to_version=to_version,
        cases_text=cases_text,
        at_element=at_element or "",
        steps=steps,
        from_names=_element_labels(key, from_version),
        to_names=_element_labels(key, to_version),
        plans=plans,
        token_states=TOKEN_STATES,
    )


def _element_labels(key: str, version: int) -> dict[str, str]:
    return element_labels(parsed_definition(runtime(), get_version(reading_session(), key, version)))


def _user_task_names(key: str, version: int) -> dict[str, str]:
    parsed = parsed_definition(runtime(), get_version(reading_session(), key, version))
    return user_task_names(parsed)


@bp.route("/processes/<key>/migrate", methods=["POST"])
@roles_required(OWNER)
def apply(key: str) -> Any:
    try:
        from_version, to_version = int(request.form["from"]), int(request.form["to"])
    except (KeyError, ValueError):
        abort(400)
    if not (0 <= from_version <= LARGEST_ID and 0 <= to_version <= LARGEST_ID):
        abort(400)  # no column holds it (SQLite raised OverflowError)
    numbers = request.form.getlist("case")
    if not numbers or from_version == to_version:
        flash(_("Choose at least one case that can move."), "error")
        return redirect(url_for("versions.migrate", key=key, **{"from": from_version, "to": to_version}))
    with unit_of_work() as uow:
        result = migrate_cases(
            uow, key, from_version, to_version, numbers, current_user.actor, request.form.get("comment", "")
        )
        uow.commit()
    flash(
        _(
            "%(moved)s case(s) moved to version %(new)s; %(stayed)s stay on version %(old)s.",
            moved=len(result.migrated),
            new=to_version,
            stayed=len(result.skipped),
            old=from_version,
        ),
        "success" if not result.skipped else "info",
    )
    return redirect(url_for("versions.migrate", key=key, **{"from": from_version, "to": to_version}))
