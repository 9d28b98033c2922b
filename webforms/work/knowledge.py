"""The knowledge base pages: every member of staff searches and reads it; supervisors and administrators
write entries, each save a new version; owners review theirs when due. `/knowledge/suggest` answers the
intake page as the operator types (entries and the outages going on now)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from engine.db import KnowledgeEntry, User
from engine.errors import FormInvalid
from engine.knowledge import (
    add_entry_form,
    current_outages_for,
    entries_due_for_review,
    entry_versions,
    review_due,
    review_entry,
    revise_entry_form,
    search_entries,
    valid_on,
)
from engine.reference import load_reference_data
from webforms.database import read_only, reading_session, reads_only, runtime, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.outage_feeds import outage_summary
from webforms.request_checks import checks_own_input

bp = Blueprint("knowledge", __name__, url_prefix="/knowledge")
EDITORS = ("supervisor", "admin")
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")
SHOWN = 50
SUGGESTED = 5
ANSWER_PREVIEW = 400


@bp.app_context_processor
def _knowledge_editors() -> dict[str, Any]:
    return {"knowledge_editors": EDITORS}


def _may_edit() -> bool:
    return bool(current_user.has_role(*EDITORS))


def _editors_only() -> None:
    if not _may_edit():
        abort(403)


def _today() -> Any:
    return runtime().clock.now().astimezone(runtime().zone).date()


def _entry(entry_id: int) -> KnowledgeEntry:
    entry = reading_session().get(KnowledgeEntry, entry_id)
    if entry is None:
        abort(404)
    return entry


def _staff() -> list[tuple[str, str]]:
    return [
        (u, n)
        for u, n in reading_session().execute(
            select(User.username, User.display_name).where(User.active.is_(True)).order_by(User.username)
        )
    ]


@bp.route("")
@login_required
@reads_only
def index() -> Any:
    question = request.args.get("q", "")[:500]
    category = request.args.get("category", "")[:50]
    show = request.args.get("show", "")
    now = runtime().clock.now()
    session = reading_session()
    if show == "due":
        entries = entries_due_for_review(session, now)
    elif question or category:
        entries = [f.entry for f in search_entries(session, question, category, _today(), SHOWN, True)]
    else:
        entries = list(session.scalars(select(KnowledgeEntry).order_by(KnowledgeEntry.title).limit(SHOWN)))
    return render_template(
        "work/knowledge.html",
        entries=entries,
        question=question,
        category=category,
        show=show,
        reference=load_reference_data(session),
        due_count=len(entries_due_for_review(session, now)),
        mine_due=len(entries_due_for_review(session, now, owner=current_user.username)),
        today=_today(),
        now=now,
        valid_on=valid_on,
        review_due=review_due,
        may_edit=_may_edit(),
    )


def _form_page(
    entry: KnowledgeEntry | None, values: dict[str, Any], errors: dict[str, Any], status: int
) -> Any:
    with read_only() as uow:
        return render_template(
            "work/knowledge_form.html",
            entry=entry,
            values=values,
            errors=errors,
            reference=load_reference_data(uow.session),
            staff=_staff(),
        ), status


def _entry_values(entry: KnowledgeEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "answer": entry.answer,
        "category_code": entry.category_code,
        "keywords": entry.keywords,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else "",
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else "",
        "owner": entry.owner,
        "active": "1" if entry.active else "",
        "version": str(entry.version),
    }


@bp.route("/new", methods=["GET"])
@login_required
def new() -> Any:
    _editors_only()
    return _form_page(None, {"owner": current_user.username, "active": "1"}, {}, 200)


def _new_again(err: FormInvalid) -> Any:
    return _form_page(None, request.form.to_dict(), err.errors, 400)


@bp.route("/new", methods=["POST"])
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _new_again)})
def create() -> Any:
    _editors_only()
    with unit_of_work() as uow:
        entry = add_entry_form(uow, current_user.username, request.form)
        uow.commit()
        entry_id = entry.id
    flash(_("Entry saved."), "success")
    return redirect(url_for("knowledge.show", entry_id=entry_id))


@bp.route("/<int:entry_id>")
@login_required
@reads_only
def show(entry_id: int) -> Any:
    entry = _entry(entry_id)
    now = runtime().clock.now()
    return render_template(
        "work/knowledge_entry.html",
        entry=entry,
        versions=entry_versions(reading_session(), entry_id),
        reference=load_reference_data(reading_session()),
        valid=valid_on(entry, _today()),
        due=review_due(entry, now),
        may_edit=_may_edit(),
        may_review=_may_edit() or entry.owner == current_user.username,
    )


@bp.route("/<int:entry_id>/edit", methods=["GET"])
@login_required
def edit(entry_id: int) -> Any:
    _editors_only()
    with read_only():
        values = _entry_values(_entry(entry_id))
    return _form_page(entry_id, values, {}, 200)


def _edit_again(err: FormInvalid, entry_id: int) -> Any:
    return _form_page(entry_id, request.form.to_dict(), err.errors, 400)


def _expected_version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/<int:entry_id>/edit", methods=["POST"])
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_SAVED, _edit_again)})
def update(entry_id: int) -> Any:
    _editors_only()
    with unit_of_work() as uow:
        entry = revise_entry_form(uow, current_user.username, entry_id, request.form, _expected_version())
        uow.commit()
        version = entry.version
    flash(_("Entry saved as version %(version)s.", version=version), "success")
    return redirect(url_for("knowledge.show", entry_id=entry_id))


@bp.route("/<int:entry_id>/review", methods=["POST"])
@checks_own_input
@login_required
def review(entry_id: int) -> Any:
    with read_only():
        owner = _entry(entry_id).owner
    if not (_may_edit() or owner == current_user.username):
        abort(403)
    with unit_of_work() as uow:
        review_entry(uow, current_user.username, entry_id)
        uow.commit()
    flash(_("Marked as reviewed: the entry is still right."), "success")
    return redirect(url_for("knowledge.show", entry_id=entry_id))


@bp.route("/suggest")
@login_required
@reads_only
def suggest() -> Any:
    """What the intake page shows beside the form while a call is taken: the best entries for the words
    typed so far and the chosen category, and the outages going on now that the call may be about."""
    question = request.args.get("q", "")[:2000]
    category = request.args.get("category", "")[:50]
    session = reading_session()
    found = search_entries(session, question, category, _today(), SUGGESTED)
    outages = current_outages_for(session, question, category)
    return jsonify(
        entries=[
            {
                "id": f.entry.id,
                "title": f.entry.title,
                "answer": f.entry.answer,
                "preview": f.entry.answer[:ANSWER_PREVIEW],
                "url": url_for("knowledge.show", entry_id=f.entry.id),
            }
            for f in found
        ],
        outages=[
            {
                "case_number": o.case_number,
                "title": outage_summary(o)[0],
                "answer": outage_summary(o)[1],
                "url": url_for("public.notices", _anchor=f"outage-{o.case_number}"),
            }
            for o in outages
        ],
        labels={
            "use": _("Use this answer"),
            "outage": _("Outage going on now"),
            "none": _("No entry matches yet."),
        },
    )
