"""The decision table editor: process owners (and administrators, who hold the role) read the deployed
decision tables with their versions, edit one in dmn-js, keep it as a draft, check it and deploy it as
the decision's next version. A business rule task runs the newest version from its next case on."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.decisions import (
    DecisionInvalid,
    DecisionProblem,
    decision_keys,
    decision_problems,
    decision_versions,
    deploy_decision_table,
    latest_decision_draft,
    save_decision_table_draft,
)
from engine.errors import Conflict
from webforms.database import reading_session, reads_only, unit_of_work
from webforms.errors import refusals
from webforms.people.auth import roles_required
from webforms.people.names import person
from webforms.processes.problem_messages import deploy_conflict

bp = Blueprint("decisions", __name__, url_prefix="/decisions")
MAX_DMN_CHARS = 1024 * 1024


@bp.route("")
@roles_required("process_owner")
@reads_only
def index() -> Any:
    session = reading_session()
    tables = [
        (key, decision_versions(session, key), latest_decision_draft(session, key))
        for key in decision_keys(session)
    ]
    return render_template("decisions/list.html", tables=tables, person=person)


@bp.route("/<key>")
@roles_required("process_owner")
@reads_only
def edit(key: str) -> Any:
    session = reading_session()
    versions = decision_versions(session, key)
    if not versions:
        abort(404)
    draft = latest_decision_draft(session, key)
    xml = draft.dmn_xml if draft is not None else versions[0].dmn_xml
    data = {
        "key": key,
        "xml": xml,
        "urls": {
            "check": url_for("decisions.check", key=key),
            "save": url_for("decisions.save", key=key),
            "deploy": url_for("decisions.deploy", key=key),
        },
        "labels": {
            "saved": _("Draft saved. No case uses it until it is deployed."),
            "valid": _("No problems: the table may be deployed."),
            "deployed": _(
                "Version %(version)s of decision %(key)s deployed. New cases are routed by it from now on."
            ),
            "unchanged": _("Nothing deployed: the table is the same as version %(version)s."),
            "comment": _("Say in a few words what changed (kept with the version):"),
            "import_failed": _("The table could not be opened: %(error)s"),
        },
    }
    return render_template("decisions/editor.html", key=key, versions=versions, draft=draft, data=data)


def _said(problems: list[DecisionProblem]) -> list[str]:
    """The table's problems in the page's language."""
    return [problem.say(_) for problem in problems]


def _posted_table() -> bytes:
    body = request.get_json(silent=True)
    xml = body.get("xml") if isinstance(body, dict) else None
    # A NUL is in no table dmn-js writes, and PostgreSQL stores none in text: refused, not a 500.
    if not isinstance(xml, str) or not xml.strip() or len(xml) > MAX_DMN_CHARS or "\x00" in xml:
        abort(400)
    return xml.encode("utf-8")


@bp.route("/<key>/check", methods=["POST"])
@roles_required("process_owner")
def check(key: str) -> Any:
    return jsonify(problems=_said(decision_problems(_posted_table(), f"{key}.dmn")))


@bp.route("/<key>/save", methods=["POST"])
@roles_required("process_owner")
def save(key: str) -> Any:
    xml = _posted_table()
    with unit_of_work() as uow:
        if not decision_versions(uow.session, key):  # a draft edits a deployed decision (as the editor)
            abort(404)
        save_decision_table_draft(uow, key, xml, current_user.username)
        uow.commit()
    return jsonify(saved=True, problems=_said(decision_problems(xml, f"{key}.dmn")))


def _not_deployable(err: DecisionInvalid, **view_args: Any) -> Any:
    return jsonify(
        error=_("Not deployed: fix the problems listed below the table first."), problems=_said(err.problems)
    ), 422


def _deployed_first(err: Conflict, **view_args: Any) -> Any:
    return jsonify(error=deploy_conflict(err), reason=err.reason), 409


@bp.route("/<key>/deploy", methods=["POST"])
@roles_required("process_owner")
@refusals({DecisionInvalid: _not_deployable, Conflict: _deployed_first})
def deploy(key: str) -> Any:
    xml = _posted_table()
    body = request.get_json(silent=True) or {}
    comment = str(body.get("comment") or "").strip()
    if not comment:
        return jsonify(
            error=_("Say in a few words what changed; the comment is kept with the version."),
            reason="comment",
        ), 400
    with unit_of_work() as uow:
        result = deploy_decision_table(uow, xml, current_user.username, comment, "browser", f"{key}.dmn")
        definition = result.definition
        if definition.key != key:
            # The table's own id decides which decision it is; a renamed id is another decision.
            return jsonify(
                error=_(
                    "This table's decision id is %(id)s, not %(key)s; keep the id to deploy it here.",
                    id=definition.key,
                    key=key,
                ),
                reason="key",
            ), 400
        uow.commit()
    return jsonify(deployed=result.created, key=definition.key, version=definition.version)
