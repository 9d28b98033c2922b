"""Administration of reference data: departments and categories with their routes and deadlines, and
where cases come from."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.decisions import ROUTING, latest_decision, route, routes
from engine.errors import FormInvalid
from engine.reference import (
    add_case_source_form,
    add_department_form,
    load_reference_data,
    save_case_source_form,
    save_category_form,
    save_department_form,
)
from engine.work import group_members
from webforms.database import read_only, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.people.auth import roles_required
from webforms.request_checks import checks_own_input

bp = Blueprint("admin", __name__, url_prefix="/admin")
# The department a new category keeps when no routing table answers for it (the shipped table's last row).
FALLBACK_DEPARTMENT = "customer_service"
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")


def _page(
    errors: dict | None = None, values: dict | None = None, editing: str = "", status: int = 200
) -> Any:
    with read_only() as uow:
        reference = load_reference_data(uow.session)
        return render_template(
            "reference/reference.html",
            reference=reference,
            # Where each category goes: the routing table's newest version, shown here, edited there.
            routing=routes(uow.session, [c.code for c in reference.categories]),
            routing_deployed=latest_decision(uow.session, ROUTING) is not None,
            # A department's code is its handlers' role: with nobody holding it, its cases get stuck.
            members=group_members(uow.session),
            errors=errors or {},
            values=values or {},
            editing=editing,
        ), status


@bp.route("/reference")
@roles_required("admin")
def reference() -> Any:
    return _page()


def _category_again(err: FormInvalid) -> Any:
    new = request.form.get("new") == "1"
    code = request.form.get("code", "").strip()
    return _page(err.errors, request.form.to_dict(), "new" if new else code, 400)


@bp.route("/reference/category", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _category_again)})
def category() -> Any:
    code = request.form.get("code", "").strip()
    new = request.form.get("new") == "1"
    with unit_of_work() as uow:
        submitted = request.form.to_dict()
        if new and "department_code" not in submitted:
            # A new category is routed by the routing table (its last row catches a code added later);
            # its own department is kept only as the table's answer when it was added.
            found = route(uow.session, code)
            submitted["department_code"] = (found.department if found else None) or FALLBACK_DEPARTMENT
        save_category_form(uow, current_user.username, code, submitted, new)
        uow.commit()
    flash(_("Category %(code)s saved. New cases use it from now on.", code=code), "success")
    return redirect(url_for("admin.reference"))


def _department_again(err: FormInvalid, code: str) -> Any:
    return _page(err.errors, request.form.to_dict(), f"department:{code}", 400)


@bp.route("/reference/department/<code>", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _department_again)})
def department(code: str) -> Any:
    with unit_of_work() as uow:
        save_department_form(uow, current_user.username, code, request.form)
        uow.commit()
    flash(_("Department %(code)s saved.", code=code), "success")
    return redirect(url_for("admin.reference"))


def _new_department_again(err: FormInvalid) -> Any:
    return _page(err.errors, request.form.to_dict(), "department:new", 400)


@bp.route("/reference/department", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _new_department_again)})
def new_department() -> Any:
    code = request.form.get("code", "").strip()
    with unit_of_work() as uow:
        add_department_form(uow, current_user.username, request.form)
        uow.commit()
    flash(
        _(
            "Department %(code)s added. Give its handlers the department on their account; diagrams may "
            "name it as a group.",
            code=code,
        ),
        "success",
    )
    return redirect(url_for("admin.reference"))


def _source_again(err: FormInvalid, code: str) -> Any:
    return _page(err.errors, request.form.to_dict(), f"source:{code}", 400)


@bp.route("/reference/source/<code>", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _source_again)})
def case_source(code: str) -> Any:
    with unit_of_work() as uow:
        save_case_source_form(uow, current_user.username, code, request.form)
        uow.commit()
    flash(_("Case source %(code)s saved. New cases use it from now on.", code=code), "success")
    return redirect(url_for("admin.reference"))


def _new_source_again(err: FormInvalid) -> Any:
    return _page(err.errors, request.form.to_dict(), "source:new", 400)


@bp.route("/reference/source", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _new_source_again)})
def new_case_source() -> Any:
    code = request.form.get("code", "").strip()
    with unit_of_work() as uow:
        add_case_source_form(uow, current_user.username, request.form)
        uow.commit()
    flash(_("Case source %(code)s added.", code=code), "success")
    return redirect(url_for("admin.reference"))
