"""The diagram editor for process owners: the procedures they may change, the modeler page, and the
JSON endpoints it calls to check, save as a draft, deploy, and read an uploaded file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.bpmn import MAX_BPMN_BYTES, UnsafeXml
from engine.cases import latest_definition
from engine.db import ProcessDefinition, ProcessDraft
from engine.errors import Conflict
from engine.processes import (
    MAX_ID_LENGTH,
    DiagramProblem,
    InvalidDiagram,
    deploy_diagram,
    diagram_key,
    diagram_warnings,
    latest_draft,
    list_versions,
    save_diagram_draft,
    stale_english_names,
    validate_diagram,
)
from webforms.database import reading_session, reads_only, runtime, unit_of_work
from webforms.diagram_names import process_label
from webforms.errors import refusals
from webforms.i18n import current_language, translated
from webforms.people.auth import roles_required
from webforms.people.names import person
from webforms.processes.bpmn_files import PROCESS_KEY, blank_diagram, checked_diagram
from webforms.processes.problem_messages import PROBLEM_MESSAGES, deploy_conflict, problem_as_dict
from webforms.request_checks import int_arg
from webforms.shown_values import local_time

bp = Blueprint("modeler", __name__, url_prefix="/modeler")

UNREADABLE = {**PROBLEM_MESSAGES, "empty": _l("The file is empty. Choose a .bpmn file.")}


def _unreadable_message(err: UnsafeXml) -> str:
    template = UNREADABLE.get(err.code)
    try:
        return str(template) % err.params if template else str(err)
    except (KeyError, TypeError):
        return str(err)


def _unreadable(err: UnsafeXml) -> Any:
    return jsonify(error=_unreadable_message(err), reason=err.code), 400


def _problems(xml: bytes) -> list[DiagramProblem]:
    return validate_diagram(
        reading_session(), xml, runtime().clock, runtime().zone, sandbox=runtime().script_engine.sandbox
    )


def _no_process(problems: list[DiagramProblem]) -> str:
    """Why a diagram without a process key cannot be kept or opened: its problems of the whole file."""
    said = [p for p in problems if not p.element_id or p.code == "id-too-long"]
    return " ".join(translated(p) for p in said) or _("The diagram holds no executable process.")


def _posted_diagram() -> bytes:
    """The diagram the modeler sent (JSON {"xml": ...}), checked as an upload is."""
    body = request.get_json(silent=True)
    xml = body.get("xml") if isinstance(body, dict) else None
    return checked_diagram(xml.encode("utf-8") if isinstance(xml, str) else b"")


@bp.route("")
@roles_required("process_owner")
def index() -> Any:
    """The list of procedures is the versions blueprint's; this address stays for old links."""
    return redirect(url_for("versions.index", **request.args))


@bp.route("/new")
@roles_required("process_owner")
@reads_only
def new() -> Any:
    key = request.args.get("key", "").strip()
    name = request.args.get("name", "").strip()
    error = None
    if not PROCESS_KEY.match(key):
        error = _(
            "A key is 2 to 40 lower-case letters, digits or underscores, starting with a letter "
            "(for example water_quality)."
        )
    elif not name:
        error = _("Give the procedure a name.")
    elif (
        latest_definition(reading_session(), key, required=False) is not None
        or latest_draft(reading_session(), key) is not None
    ):
        error = _("A procedure with the key %(key)s already exists; open it from the list.", key=key)
    if error:
        flash(error, "error")
        return redirect(url_for("versions.index", key=key, name=name))
    return _editor(key, name, blank_diagram(key, name).decode("utf-8"), [], _("new blank diagram"))


@bp.route("/<key>")
@roles_required("process_owner")
@reads_only
def edit(key: str) -> Any:
    versions = list_versions(reading_session(), key)
    latest = versions[0] if versions else None
    wanted_draft = int_arg("draft", lowest=0)
    if wanted_draft is not None:
        draft = reading_session().get(ProcessDraft, wanted_draft)
        if draft is None or draft.process_key != key:
            abort(404)
        return _draft_editor(key, process_label(latest) if latest else key, draft, versions)
    wanted = int_arg("version", lowest=0)
    if wanted is not None:
        chosen = next((v for v in versions if v.version == wanted), None)
        if chosen is None:
            abort(404)
        return _editor(
            key,
            process_label(chosen),
            chosen.bpmn_xml,
            versions,
            _("version %(version)s", version=chosen.version),
            chosen.version,
        )
    draft = latest_draft(reading_session(), key)
    if draft is not None:
        return _draft_editor(key, process_label(latest) if latest else key, draft, versions)
    if latest is None:
        abort(404)
    return _editor(
        key,
        process_label(latest),
        latest.bpmn_xml,
        versions,
        _("version %(version)s", version=latest.version),
        latest.version,
    )


def _draft_editor(key: str, name: str, draft: ProcessDraft, versions: list[ProcessDefinition]) -> Any:
    """The modeler on a saved draft, saying whose draft it is."""
    saved = _(
        "the draft saved %(when)s by %(who)s", when=local_time(draft.saved_at), who=person(draft.saved_by)
    )
    return _editor(key, name, draft.bpmn_xml, versions, saved)


def _editor(
    key: str, name: str, xml: str, versions: list[ProcessDefinition], source: str, version: int | None = None
) -> Any:
    labels = {
        "saved": _("Draft saved. It is not deployed: running and new cases still use the deployed version."),
        "saved_with_problems": _(
            "Draft saved with %(count)s problem(s); it cannot be deployed until they are fixed."
        ),
        "valid": _("No problems found: the diagram can be deployed."),
        "problems": _("%(count)s problem(s) must be fixed before deploying."),
        "deploy_refused": _("Not deployed: fix the problems listed beside the diagram first."),
        "comment_needed": _("Say in a few words what changed; the comment is kept with the version."),
        "unsaved": _("The diagram has changes that are not saved."),
        "failed": _("The server did not accept the request (%(status)s). Nothing was changed."),
        "opened": _("Opened %(file)s. Nothing is saved until you save a draft or deploy."),
        "import_failed": _("The diagram could not be drawn: %(error)s"),
        "no_problems": _("No problems found."),
        "whole_diagram": _("Whole diagram"),
        "migrate": _("Decide what happens to the running cases"),
        "too_large": str(PROBLEM_MESSAGES["file-too-large"]),
        "version": _("version %(version)s"),
        "opened_from": _("opened from %(source)s"),
        "signed_out": _(
            "You are signed out, so nothing was saved. Your changes are still here: sign in again "
            "in another tab, then save or deploy again."
        ),
    }
    data = {
        "key": key,
        "xml": xml,
        "labels": labels,
        "language": current_language(),
        "urls": {
            "validate": url_for("modeler.validate"),
            "save": url_for("modeler.save"),
            "deploy": url_for("modeler.deploy"),
            "upload": url_for("modeler.upload"),
            "edit": url_for("modeler.edit", key=key),
            "login": url_for("auth.login"),
        },
        "max_bytes": MAX_BPMN_BYTES,
    }
    return render_template(
        "processes/modeler.html",
        key=key,
        name=name,
        versions=versions,
        source=source,
        version=version,
        data=data,
    )


@bp.route("/validate", methods=["POST"])
@roles_required("process_owner")
@reads_only
def validate() -> Any:
    try:
        xml = _posted_diagram()
    except UnsafeXml as err:
        return _unreadable(err)
    return jsonify(
        problems=[problem_as_dict(p) for p in _problems(xml)],
        # Deployable, but worth a look (a field that looks personal but is not declared so).
        warnings=[problem_as_dict(p) for p in _warnings(xml)],
    )


def _warnings(xml: bytes) -> list[Any]:
    """What deploys but deserves a look: a field that looks personal but is not declared so, and an
    English name left as it was when the element was renamed since the deployed version."""
    key = diagram_key(xml)
    deployed = latest_definition(reading_session(), key, required=False) if key else None
    previous = deployed.bpmn_xml.encode("utf-8") if deployed is not None else None
    return [*diagram_warnings(xml), *stale_english_names(xml, previous, key)]


@bp.route("/save", methods=["POST"])
@roles_required("process_owner")
def save() -> Any:
    try:
        xml = _posted_diagram()
    except UnsafeXml as err:
        return _unreadable(err)
    with unit_of_work() as uow:
        problems = _problems(xml)
        key = diagram_key(xml)
        if key is None or len(key) > MAX_ID_LENGTH:
            # A draft is kept under its process key; without one (or one too long to keep) there is
            # nothing to file it under.
            return jsonify(error=_no_process(problems), problems=[problem_as_dict(p) for p in problems]), 400
        draft = save_diagram_draft(uow, xml, current_user.username)
        key = draft.process_key
        uow.commit()
    return jsonify(saved=True, key=key, problems=[problem_as_dict(p) for p in problems])


def _not_deployable(err: InvalidDiagram) -> Any:
    return jsonify(
        error=_("Not deployed: fix the problems listed beside the diagram first."),
        problems=[problem_as_dict(p) for p in err.problems],
    ), 422


def _deployed_first(err: Conflict) -> Any:
    return jsonify(error=deploy_conflict(err), reason=err.reason), 409


@bp.route("/deploy", methods=["POST"])
@roles_required("process_owner")
@refusals({InvalidDiagram: _not_deployable, Conflict: _deployed_first})
def deploy() -> Any:
    try:
        xml = _posted_diagram()
    except UnsafeXml as err:
        return _unreadable(err)
    body = request.get_json(silent=True) or {}
    comment = str(body.get("comment") or "").strip()
    if not comment:
        return jsonify(
            error=_("Say in a few words what changed; the comment is kept with the version."),
            reason="comment",
        ), 400
    with unit_of_work() as uow:
        warnings = [problem_as_dict(p) for p in _warnings(xml)]  # against the version deployed until now
        result = deploy_diagram(uow, xml, current_user.username, comment, "browser")
        definition = result.definition
        uow.commit()
    if not result.created:
        message = _(
            "Nothing deployed: the diagram is the same as version %(version)s.", version=definition.version
        )
    else:
        message = _(
            "Version %(version)s of %(key)s deployed. New cases use it from now on.",
            version=definition.version,
            key=definition.key,
        )
    return jsonify(
        deployed=result.created,
        key=definition.key,
        version=definition.version,
        message=message,
        warnings=warnings,
        migrate_url=url_for("versions.migrate", key=definition.key),
    )


def _uploaded_diagram() -> tuple[bytes, str]:
    """The .bpmn file posted as `file`, checked, and its name; UnsafeXml when it cannot be read."""
    file = request.files.get("file")
    if file is None:
        raise UnsafeXml("empty", "no file")
    try:
        data = file.stream.read()
    finally:
        file.close()  # a large upload is spooled to a temporary file: let it go at once
    return checked_diagram(data), file.filename or ""


@bp.route("/upload", methods=["POST"])
@roles_required("process_owner")
@reads_only
def upload() -> Any:
    """Reads a .bpmn file for the modeler to open; nothing is stored until it is saved or deployed."""
    try:
        xml, file_name = _uploaded_diagram()
    except UnsafeXml as err:
        return _unreadable(err)
    return jsonify(
        xml=xml.decode("utf-8"),
        file=file_name,
        problems=[problem_as_dict(p) for p in _problems(xml)],
        # What deploys but is not read (a Camunda setting, another tool's extension), listed beside it.
        warnings=[problem_as_dict(p) for p in _warnings(xml)],
    )


@bp.route("/open", methods=["POST"])
@roles_required("process_owner")
@reads_only
def open_file() -> Any:
    """A .bpmn file uploaded from the list of procedures, opened in the modeler under the process id it
    holds; nothing is stored until it is saved or deployed."""
    try:
        xml, file_name = _uploaded_diagram()
    except UnsafeXml as err:
        flash(_unreadable_message(err), "error")
        return redirect(url_for("versions.index"))
    key = diagram_key(xml)
    if key is None or len(key) > MAX_ID_LENGTH:
        flash(_no_process(_problems(xml)), "error")
        return redirect(url_for("versions.index"))
    versions = list_versions(reading_session(), key)
    name = process_label(versions[0]) if versions else key
    return _editor(key, name, xml.decode("utf-8"), versions, _("the file %(file)s", file=file_name))
