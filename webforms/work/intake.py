"""Opening a case from a call (intake): choosing the kind of call, the intake form with the customer
register (M5), switching kind while keeping what was typed, and recording the call once."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from engine.bpmn import control_character_error, initial_values
from engine.cases import latest_definition, parsed_definition
from engine.db import Customer
from engine.errors import FormInvalid
from engine.people import cases_of_phone, find_customers
from engine.processes import intake_kinds
from engine.work import (
    case_by_number,
    intake_task,
    new_intake_key,
    record_call,
    record_duplicate_call,
    startable_processes,
    valid_intake_key,
)
from webforms.case_access import check_case_readable
from webforms.cases_blueprint import bp
from webforms.database import read_only, runtime, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.i18n import localized_name
from webforms.people.access_records import record_customers_shown
from webforms.reference.labels import form_fields
from webforms.request_checks import checks_own_input, int_arg, submitted_form
from webforms.request_log import note_case
from webforms.work.merging import may_merge

CALLER_FIELD = "customer_phone"
# Fields that mean the same on different intakes: what the caller says is a consultation's question.
SAME_MEANING = {"question": "description", "description": "question"}
INTAKE_KEY_FIELD = "intake_key"
# A likely duplicate's button on the intake page: record the call and merge it into that case.
MERGE_INTO_FIELD = "merge_into"
NOT_RECORDED = _l("Some values need attention; the case is not recorded yet.")


def _intake(session: Session, process_key: str) -> tuple[Any, Any]:
    definition = latest_definition(session, process_key, required=False)
    if definition is None:
        abort(404)
    parsed = parsed_definition(runtime(), definition)
    info = intake_task(runtime(), parsed)
    if info is None:
        abort(404)
    if not parsed.may_open(info, current_user.username, current_user.roles):
        abort(403)
    return parsed, info


def _render_intake(
    session: Session,
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
    title = localized_name(info)
    process_name = localized_name(parsed)
    # The register is searched only by roles that see customers' personal data (M6); others type it in.
    looks_up = any(f.id == "customer_phone" for f in info.fields) and current_user.sees_personal_data
    # The caller's earlier cases, for a phone the form took (a refused one may hold anything, even NUL).
    phone = "" if CALLER_FIELD in errors else str(values.get(CALLER_FIELD) or "")
    earlier = cases_of_phone(session, phone) if looks_up and control_character_error(phone) is None else []
    # The kinds of call an operator switches between on the intake page: diagrams with intake = true.
    intake_order = intake_kinds(session)
    kinds = sorted(
        (
            k
            for k in startable_processes(session, runtime(), current_user.roles, current_user.username)
            if k.key in intake_order
        ),
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
        proposes_duplicates=may_merge(),
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
    with read_only() as uow:
        startable = startable_processes(uow.session, runtime(), current_user.roles, current_user.username)
        if len(startable) == 1:
            return redirect(url_for("cases.new", process_key=startable[0].key))
        return render_template("work/choose.html", startable=startable)


@bp.route("/new/<process_key>", methods=["GET"])
@login_required
def new(process_key: str) -> Any:
    """The intake form; `lookup` searches the customer register (M5), `customer` fills in the one chosen."""
    with read_only() as uow:
        parsed, info = _intake(uow.session, process_key)
        values = initial_values(info.fields, {})
        lookup = request.args.get("lookup", "").strip()[:100] if current_user.sees_personal_data else ""
        found = find_customers(uow.session, lookup) if lookup else []
        chosen = None
        customer_id = int_arg("customer")
        if customer_id is not None and current_user.sees_personal_data:
            chosen = uow.session.get(Customer, customer_id)
        if chosen is not None:
            values.update({k: v for k, v in _customer_values(chosen).items() if k in values})
        page = _render_intake(uow.session, process_key, parsed, info, values, {}, lookup=lookup, found=found)
        found_ids, chosen_ids = [c.id for c in found], [chosen.id] if chosen is not None else []
    # M6: the register's records are shown in full (name, phone, address): each one shown is recorded.
    record_customers_shown(found_ids, "intake_lookup")
    record_customers_shown(chosen_ids, "intake_customer")
    return page


@bp.route("/new/<process_key>/switch", methods=["POST"])
@checks_own_input
@login_required
def switch(process_key: str) -> Any:
    """Another kind of call, chosen on the intake page: that procedure's intake, keeping what was typed in
    the fields both forms have. A POST, so the caller's personal data stays out of addresses and logs."""
    typed = {k: v for k, v in request.form.items() if k not in ("csrf_token", INTAKE_KEY_FIELD) and v.strip()}
    for field_id, same_as in SAME_MEANING.items():
        typed.setdefault(field_id, typed.get(same_as, ""))
    with read_only() as uow:
        parsed, info = _intake(uow.session, process_key)
        values = {
            **initial_values(info.fields, {}),
            **{f.id: typed[f.id] for f in info.fields if typed.get(f.id)},
        }
        key = valid_intake_key(request.form.get(INTAKE_KEY_FIELD))
        return _render_intake(uow.session, process_key, parsed, info, values, {}, intake_key=key)


def _intake_again(err: FormInvalid, process_key: str) -> Any:
    with read_only() as uow:
        parsed, info = _intake(uow.session, process_key)
        key = valid_intake_key(request.form.get(INTAKE_KEY_FIELD))
        return _render_intake(
            uow.session, process_key, parsed, info, err.values, err.errors, 400, intake_key=key
        )


@bp.route("/new/<process_key>", methods=["POST"])
@checks_own_input
@login_required
@refusals({FormInvalid: form_refused(NOT_RECORDED, _intake_again)})
def create(process_key: str) -> Any:
    key = valid_intake_key(request.form.get(INTAKE_KEY_FIELD))
    into = request.form.get(MERGE_INTO_FIELD, "").strip()[:40]
    form = {k: v for k, v in submitted_form().items() if k not in (INTAKE_KEY_FIELD, MERGE_INTO_FIELD)}
    with unit_of_work() as uow:
        parsed, info = _intake(uow.session, process_key)
        if into:
            recorded = _record_merged(uow, process_key, form, key, into)
        else:
            recorded = record_call(uow, process_key, current_user.actor, form, key)
        number = recorded.instance.case_number
        note_case(number)
        if not recorded.first:
            message = _already_recorded(recorded.instance, number)
        elif into:
            message = _(
                "Case %(case)s recorded and merged into case %(into)s: the caller is kept for its callback. "
                "Tell the caller case number %(into)s.",
                case=number,
                into=into,
            )
            uow.commit()
        else:
            message = _recorded_message(number, parsed, info)
            uow.commit()
    flash(message, "success" if recorded.first else "info")
    return redirect(url_for("cases.show", case_number=into if into and recorded.first else number))


def _record_merged(uow: Any, process_key: str, form: dict, key: str | None, into: str) -> Any:
    """The call is about the open case `into`: recorded as a case and merged into it at once."""
    if not may_merge():
        abort(403)
    survivor = case_by_number(uow.session, into)
    check_case_readable(uow.session, survivor.id if survivor is not None else None)
    reason = _("The same matter as case %(case)s, reported again by a caller.", case=into)
    return record_duplicate_call(uow, process_key, current_user.actor, form, key, into, reason)


def _has_caller(parsed: Any, info: Any) -> bool:
    """Whether the case was opened from a call (a kind of call of the intake page, whose form records the
    customer's phone): an outage registered by staff, or a liaison's report of a visit, has nobody on
    the line to tell the case number to."""
    return parsed.roles.intake and any(field.id == CALLER_FIELD for field in info.fields)


def _recorded_message(number: str, parsed: Any, info: Any) -> str:
    if _has_caller(parsed, info):
        return _(
            "Case %(case)s recorded. Tell the caller this number; with the last four digits of their phone "
            "they can follow the case at %(address)s.",
            case=number,
            address=url_for("track.lookup", _external=True),
        )
    return _("Case %(case)s recorded.", case=number)


def _already_recorded(instance: Any, number: str) -> str:
    parsed = parsed_definition(runtime(), instance.definition)
    info = intake_task(runtime(), parsed)
    if info is not None and _has_caller(parsed, info):
        return _(
            "This form was already sent: case %(case)s was recorded from it, and no second case was "
            "opened. Tell the caller this number.",
            case=number,
        )
    return _(
        "This form was already sent: case %(case)s was recorded from it, and no second case was opened.",
        case=number,
    )
