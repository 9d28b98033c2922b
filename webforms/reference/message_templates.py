"""An administrator rewords the messages that leave the building: one page per kind and language with
the variables it may use, the SMS length as typed, a preview from a real recent case, the versions kept,
and a way back to the shipped text. Routes on the admin blueprint."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.messages import say
from engine.messaging import (
    KINDS,
    LANGUAGES,
    PROBLEMS,
    TemplateInvalid,
    TemplateProblem,
    Wording,
    preview_params,
    render,
    reset_wording,
    save_wording,
    shipped_wording,
    sms_length,
    template_versions,
    wording_problems,
    wordings,
)
from webforms.database import read_only, runtime, unit_of_work
from webforms.diagram_names import task_label
from webforms.people.auth import roles_required
from webforms.reference.admin import bp

SMS_LENGTH = _l(
    "SMS: %(characters)s characters (%(encoding)s), %(segments)s message(s) of up to %(per_segment)s characters."
)
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}
# The lang attribute of what is written in a message's language, whatever the page's.
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def _in(language: str) -> Any:
    """gettext in the message's language, whatever the page's."""

    def translate(template: str) -> str:
        with force_locale(language):
            return _(template)

    return translate


def _task_name_in(language: str) -> Any:
    """A task's name in the message's language, whatever the page's."""

    def name(task: Any) -> str:
        return task_label(task, language)

    return name


def _problem_text(problem: TemplateProblem) -> str:
    return say(PROBLEMS[problem.code], problem.params, _)


@bp.route("/messages")
@roles_required("admin")
def message_templates() -> Any:
    with read_only() as uow:
        changed = {kind: wordings(uow.session, kind) for kind in KINDS}
    return render_template(
        "reference/message_templates.html",
        kinds=KINDS,
        languages=LANGUAGE_NAMES,
        html_lang=HTML_LANG,
        changed=changed,
    )


def _editor(
    kind: str,
    language: str,
    typed: Wording | None = None,
    problems: dict[str, list[TemplateProblem]] | None = None,
    status: int = 200,
) -> Any:
    if kind not in KINDS or language not in LANGUAGES:
        abort(404)
    translate = _in(language)
    with read_only() as uow:
        versions = template_versions(uow.session, kind, language)
        in_force = wordings(uow.session, kind).get(language)
        params = preview_params(uow.session, kind, translate, runtime().zone, _task_name_in(language))
    shipped = shipped_wording(kind, translate)
    shown = typed or in_force or shipped
    preview = None
    if params is not None and not wording_problems(kind, shown.subject, shown.text):
        preview = Wording(render(shown.subject, params), render(shown.text, params))
    return render_template(
        "reference/message_template.html",
        kind=KINDS[kind],
        language=language,
        language_name=LANGUAGE_NAMES[language],
        lang=HTML_LANG[language],
        shown=shown,
        shipped=shipped,
        in_force=in_force,
        versions=versions,
        based_on=versions[0].version if versions else 0,
        preview=preview,
        length_template=str(SMS_LENGTH),
        length_values=asdict(sms_length(preview.text if preview else shown.text)),
        problems={field: [_problem_text(p) for p in found] for field, found in (problems or {}).items()},
    ), status


@bp.route("/messages/<kind>/<language>")
@roles_required("admin")
def message_template(kind: str, language: str) -> Any:
    return _editor(kind, language)


def _based_on() -> int:
    try:
        return int(request.form.get("based_on", "0"))
    except ValueError:
        return -1


@bp.route("/messages/<kind>/<language>", methods=["POST"])
@roles_required("admin")
def save_message_template(kind: str, language: str) -> Any:
    if kind not in KINDS or language not in LANGUAGES:
        abort(404)
    typed = Wording(
        request.form.get("subject", "").replace("\r\n", "\n"),
        request.form.get("text", "").replace("\r\n", "\n"),
    )
    action = request.form.get("action", "save")
    if action == "preview":
        problems = wording_problems(kind, typed.subject, typed.text)
        return _editor(kind, language, typed, problems, 400 if problems else 200)
    try:
        with unit_of_work() as uow:
            if action == "reset":
                version = reset_wording(uow, kind, language, _based_on(), current_user.username)
            else:
                version = save_wording(
                    uow, kind, language, typed.subject, typed.text, _based_on(), current_user.username
                )
            uow.commit()
    except TemplateInvalid as refused:
        flash(_("The wording was not saved: see what needs attention below."), "error")
        return _editor(kind, language, typed, refused.problems, 400)
    if action == "reset":
        flash(_("Version %(version)s: back to the shipped text.", version=version), "success")
    else:
        flash(_("Version %(version)s saved; messages use it from now on.", version=version), "success")
    return redirect(url_for("admin.message_template", kind=kind, language=language))
