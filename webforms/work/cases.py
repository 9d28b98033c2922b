"""Opening a case from a call (intake) and reading a case with its whole history."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from engine.bpmn.form_fields import initial_values
from engine.bpmn.parser import fields_by_id
from engine.cases.history import case_history
from engine.cases.runner import start_case
from engine.db.models import Customer
from engine.errors import FormInvalid
from engine.people.access_log import record_customer_access
from engine.people.customers import cases_of_phone, find_customers, register_caller
from engine.processes.deployed_roles import intake_kinds
from engine.processes.deployment import latest_definition, parsed_definition
from engine.supervision.case_search import count_cases_matching, overdue_case_ids, search_cases
from engine.work.attachment_access import may_read_files
from engine.work.attachments import attachments_of
from engine.work.intake import intake_task, startable_processes
from engine.work.intake_keys import case_of_intake_key, new_intake_key, record_intake_key, valid_intake_key
from engine.work.tasklist import case_by_number, open_tasks_of_case
from webforms.database import commit, db, runtime
from webforms.i18n import current_language
from webforms.reference.labels import form_fields, request_reference
from webforms.supervision.case_filters import search_form
from webforms.supervision.case_page import case_story
from webforms.views_support import process_choices, record_unmasked_list, record_unmasked_view

CALLER_FIELD = "customer_phone"
bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE_SIZE = 50
# Fields that mean the same on different intakes: what the caller says is a consultation's question.
SAME_MEANING = {"question": "description", "description": "question"}
INTAKE_KEY_FIELD = "intake_key"


def _intake(process_key: str) -> tuple[Any, Any]:
    definition = latest_definition(db(), process_key, required=False)
    if definition is None:
        abort(404)
    parsed = parsed_definition(runtime(), definition)
    info = intake_task(runtime(), parsed)
    if info is None:
        abort(404)
    if not set(info.candidate_groups.split(",")) & current_user.roles:
        abort(403)
    return parsed, info


def _render_intake(
    process_key: str,
    parsed: Any,
    info: Any,
    values: dict,
    errors: dict,
    status: int = 200,
    lookup: str = "",
    found: list | None = None,
    intake_key: str | None = None,
) -> Any:
    title = info.name_en if current_language() == "en" and info.name_en else info.name
    process_name = parsed.name_en if current_language() == "en" and parsed.name_en else parsed.name
    # The register is searched only by roles that see customers' personal data (M6); others type it in.
    looks_up = any(f.id == "customer_phone" for f in info.fields) and current_user.sees_personal_data
    earlier = cases_of_phone(db(), str(values.get("customer_phone") or "")) if looks_up else []
    # The kinds of call an operator switches between on the intake page: diagrams with intake = true.
    intake_order = intake_kinds(db())
    kinds = sorted(
        (k for k in startable_processes(db(), runtime(), current_user.roles) if k.key in intake_order),
        key=lambda kind: intake_order.index(kind.key),
    )
    return render_template(
        "work/intake.html",
        process_key=process_key,
        process_name=process_name,
        title=title,
        info=info,
        fields=form_fields(info.fields),
        values=values,
        errors=errors,
        looks_up=looks_up,
        lookup=lookup,
        found=found or [],
        earlier=earlier,
        intake_key=intake_key or new_intake_key(),
        kinds=kinds if any(k.key == process_key for k in kinds) else [],
    ), status


def _customer_values(customer: Customer) -> dict[str, Any]:
    """What the register knows of a caller, for the intake form's customer fields."""
    address = customer.address or "".join(
        (customer.district, customer.building, customer.unit, customer.room)
    )
    return {"customer_name": customer.name, "customer_phone": customer.phone, "address": address}


@bp.route("/new", methods=["GET"])
@login_required
def choose() -> Any:
    """Which procedure to start: the ones whose intake the user's roles may fill in."""
    startable = startable_processes(db(), runtime(), current_user.roles)
    if len(startable) == 1:
        return redirect(url_for("cases.new", process_key=startable[0].key))
    return render_template("work/choose.html", startable=startable)


@bp.route("/new/<process_key>", methods=["GET"])
@login_required
def new(process_key: str) -> Any:
    """The intake form; `lookup` searches the customer register (M5), `customer` fills in the one chosen."""
    parsed, info = _intake(process_key)
    values = initial_values(info.fields, {})
    lookup = request.args.get("lookup", "").strip()[:100] if current_user.sees_personal_data else ""
    found = find_customers(db(), lookup) if lookup else []
    chosen = None
    if request.args.get("customer") and current_user.sees_personal_data:
        chosen = db().get(Customer, request.args.get("customer", 0, type=int))
    if chosen is not None:
        values.update({k: v for k, v in _customer_values(chosen).items() if k in values})
    # M6: the register's records are shown in full (name, phone, address): each one shown is recorded.
    record_customer_access(
        db(), runtime().clock, current_user.username, [c.id for c in found], "intake_lookup"
    )
    if chosen is not None:
        record_customer_access(db(), runtime().clock, current_user.username, [chosen.id], "intake_customer")
    commit()
    return _render_intake(process_key, parsed, info, values, {}, lookup=lookup, found=found)


@bp.route("/new/<process_key>/switch", methods=["POST"])
@login_required
def switch(process_key: str) -> Any:
    """Another kind of call, chosen on the intake page: that procedure's intake, keeping what was typed in
    the fields both forms have. A POST, so the caller's personal data stays out of addresses and logs."""
    parsed, info = _intake(process_key)
    typed = {k: v for k, v in request.form.items() if k not in ("csrf_token", INTAKE_KEY_FIELD) and v.strip()}
    for field_id, same_as in SAME_MEANING.items():
        typed.setdefault(field_id, typed.get(same_as, ""))
    values = {
        **initial_values(info.fields, {}),
        **{f.id: typed[f.id] for f in info.fields if typed.get(f.id)},
    }
    return _render_intake(
        process_key, parsed, info, values, {}, intake_key=valid_intake_key(request.form.get(INTAKE_KEY_FIELD))
    )


@bp.route("/new/<process_key>", methods=["POST"])
@login_required
def create(process_key: str) -> Any:
    parsed, info = _intake(process_key)
    key = valid_intake_key(request.form.get(INTAKE_KEY_FIELD))
    earlier = case_of_intake_key(db(), key) if key else None
    if earlier is not None:
        return _already_recorded(earlier)
    form = {k: v for k, v in request.form.to_dict().items() if k != INTAKE_KEY_FIELD}
    try:
        instance = start_case(db(), runtime(), process_key, current_user.actor, form)
    except FormInvalid as err:
        db().rollback()
        flash(_("Some values need attention; the case is not recorded yet."), "error")
        return _render_intake(process_key, parsed, info, err.values, err.errors, 400, intake_key=key)
    try:
        if key:
            record_intake_key(db(), key, instance.id, runtime().clock.now())
        data = instance.data
        register_caller(
            db(),
            data.get("customer_name"),
            data.get("customer_phone"),
            data.get("address"),
            runtime().clock.now(),
        )
        commit()
    except IntegrityError:
        # The same form was sent again while this one was being recorded, and that one was first.
        db().rollback()
        earlier = case_of_intake_key(db(), key) if key else None
        if earlier is None:
            raise
        return _already_recorded(earlier)
    flash(_recorded_message(instance, info), "success")
    return redirect(url_for("cases.show", case_number=instance.case_number))


def _has_caller(info: Any) -> bool:
    """Whether the intake form records someone who called (a customer's phone): an outage or a notice
    registered by staff has nobody to tell the case number to."""
    return any(field.id == CALLER_FIELD for field in info.fields)


def _recorded_message(instance: Any, info: Any) -> str:
    if _has_caller(info):
        return _("Case %(case)s recorded. Tell the caller this number.", case=instance.case_number)
    return _("Case %(case)s recorded.", case=instance.case_number)


def _already_recorded(instance: Any) -> Any:
    info = intake_task(runtime(), parsed_definition(runtime(), instance.definition))
    if info is not None and _has_caller(info):
        message = _(
            "This form was already sent: case %(case)s was recorded from it, and no second case was "
            "opened. Tell the caller this number.",
            case=instance.case_number,
        )
    else:
        message = _(
            "This form was already sent: case %(case)s was recorded from it, and no second case was opened.",
            case=instance.case_number,
        )
    flash(message, "info")
    return redirect(url_for("cases.show", case_number=instance.case_number))


@bp.route("")
@login_required
def index() -> Any:
    """Case search: every filter of the form, a page at a time, in the chosen order."""
    form = search_form()
    total = count_cases_matching(db(), form.query)
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    cases = search_cases(db(), form.query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    # Operators recognise a caller by name in the results, so the list stays unmasked for the roles that
    # see personal data, and every case shown so is recorded (M6).
    record_unmasked_list(cases, "case_search")
    commit()
    now = runtime().clock.now()
    return render_template(
        "supervision/cases.html",
        cases=cases,
        total=total,
        page=page,
        pages=pages,
        chosen=form.chosen,
        errors=form.errors,
        personal_filters=current_user.sees_personal_data,
        overdue=overdue_case_ids(db(), [c.id for c in cases], now),
        processes=process_choices(),
        reference=request_reference(),
    )


@bp.route("/<case_number>")
@login_required
def show(case_number: str) -> Any:
    instance = case_by_number(db(), case_number)
    if instance is None:
        abort(404)
    parsed = parsed_definition(runtime(), instance.definition)
    record_unmasked_view(instance, "case")
    commit()
    history = case_history(db(), instance.id)
    return render_template(
        "supervision/case.html",
        case=instance,
        case_fields=fields_by_id(parsed),
        case_labels=parsed.variable_labels,
        open_tasks=open_tasks_of_case(db(), instance.id),
        history=history,
        element_names=parsed.element_names,
        now=runtime().clock.now(),
        attachments=attachments_of(db(), instance.id),
        files_allowed=may_read_files(
            db(), instance.id, current_user.username, current_user.roles, current_user.sees_personal_data
        ),
        **case_story(instance, parsed, history),
    )
