"""Reading cases: the case search with every filter, and a case's page with its whole history."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user, login_required

from engine.bpmn import fields_by_id
from engine.cases import (
    attachments_of,
    case_history,
    chase_notice,
    fired_chases,
    instance_parts,
    linked_cases,
    open_external_tasks,
    parsed_definition,
    subscriptions_of,
)
from engine.supervision import count_cases_matching, overdue_case_ids, search_cases
from engine.work import MAX_NOTE_LENGTH, case_by_number, customer_contact_kinds, notes_of, open_tasks_of_case
from webforms.case_access import check_case_readable
from webforms.cases_blueprint import bp
from webforms.database import read_only, runtime
from webforms.diagram_names import process_choices
from webforms.history_effects import fold_sent_messages
from webforms.people.access_records import record_unmasked_list, record_unmasked_view
from webforms.people.masking import hide_customer_of, show_customer_in_full
from webforms.reference.labels import request_reference
from webforms.request_checks import int_arg
from webforms.supervision.case_filters import search_form
from webforms.supervision.case_page import case_story
from webforms.work.notes import note_draft

PAGE_SIZE = 50


@bp.route("")
@login_required
def index() -> Any:
    """Case search: every filter of the form, a page at a time, in the chosen order."""
    form = search_form()
    with read_only() as uow:
        total = count_cases_matching(uow.session, form.query)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(int_arg("page", 1) or 1, pages)
        cases = search_cases(uow.session, form.query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        now = runtime().clock.now()
        shown = render_template(
            "supervision/cases.html",
            cases=cases,
            total=total,
            page=page,
            pages=pages,
            chosen=form.chosen,
            errors=form.errors,
            personal_filters=current_user.sees_personal_data,
            overdue=overdue_case_ids(uow.session, [c.id for c in cases], now),
            processes=process_choices(),
            reference=request_reference(),
        )
        named = [c.id for c in cases if c.customer_name]
    # Operators recognise a caller by name in the results, so the list stays unmasked for the roles that
    # see personal data, and every case shown so is recorded (M6).
    record_unmasked_list(named, "case_search")
    return shown


@bp.route("/<case_number>")
@login_required
def show(case_number: str) -> Any:
    with read_only() as uow:
        instance = case_by_number(uow.session, case_number)
        check_case_readable(uow.session, instance.id if instance is not None else None)
        assert instance is not None
        parsed = parsed_definition(runtime(), instance.definition)
        hide_customer_of(instance)
        show_customer_in_full(customer_contact_kinds(uow.session, runtime(), instance, current_user.actor))
        history = case_history(uow.session, instance.id)
        page = render_template(
            "supervision/case.html",
            case=instance,
            case_fields=fields_by_id(parsed),
            case_labels=parsed.variable_labels,
            open_tasks=open_tasks_of_case(uow.session, instance.id),
            external_tasks=open_external_tasks(uow.session, instance.id),
            subscriptions=subscriptions_of(uow.session, instance.id),
            linked=linked_cases(uow.session, instance.id),
            history=fold_sent_messages(history),
            element_names=parsed.element_names,
            now=runtime().clock.now(),
            attachments=attachments_of(uow.session, instance.id),
            notes=notes_of(uow.session, instance.id),
            max_note_length=MAX_NOTE_LENGTH,
            note_draft=note_draft(instance.case_number),
            chases=fired_chases(uow.session, instance.id),
            parts=instance_parts(uow.session, instance, parsed),
            parts_info=parsed.user_tasks,
            **case_story(uow.session, instance, parsed, history),
        )
        instance_id, data, fields = instance.id, instance.data, fields_by_id(parsed)
    record_unmasked_view(instance_id, data, "case", fields)
    return page


@bp.route("/<case_number>/chase-notice/<int:step_id>")
@login_required
def chase_notice_page(case_number: str, step_id: int) -> Any:
    """A printable chase notice (催办通知书) of one escalation of the case's graded deadline (C4)."""
    with read_only() as uow:
        instance = case_by_number(uow.session, case_number)
        check_case_readable(uow.session, instance.id if instance is not None else None)
        assert instance is not None
        notice = chase_notice(uow.session, instance.id, step_id)
        if notice is None:
            abort(404)
        return render_template("supervision/chase_notice.html", case=instance, notice=notice)
