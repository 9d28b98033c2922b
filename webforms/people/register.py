"""The customer register (M5) page: find a customer, export the register as CSV or XLSX (masked for the
roles that see customers masked; in full, and recorded (M6), for those that see personal data) and, for
administrators, import the billing system's file and fetch its rejected rows afterwards."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from engine.db import Customer
from engine.people import (
    EXPORT_KINDS,
    IMPORT_LIMIT_MB,
    ImportRefused,
    customers_by_account,
    export_register,
    find_customers,
    import_register,
    kept_import,
    latest_imports,
    masked_as,
    register_size,
    rejected_of,
    rejected_rows_csv,
)
from webforms.database import read_only, unit_of_work
from webforms.i18n import catalog_text
from webforms.people.access_records import record_customers_shown
from webforms.people.auth import roles_required
from webforms.request_checks import takes_large_upload

bp = Blueprint("register", __name__, url_prefix="/register")

# Who opens the register: the roles that answer customers or supervise (in full) and department heads
# (masked); only administrators import.
REGISTER_ROLES = ("admin", "supervisor", "operator", "dispatcher", "department_head")
IMPORTERS = ("admin",)
# A little more than the file: the form around it.
_BODY_LIMIT = (IMPORT_LIMIT_MB + 1) * 1024 * 1024
_MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHOWN = 50


@bp.app_context_processor
def _register_roles() -> dict[str, Any]:
    return {"register_roles": REGISTER_ROLES}


def _page(error: str = "", status: int = 200) -> Any:
    text = request.args.get("q", "")[:100]
    in_full = current_user.sees_personal_data
    with read_only() as uow:
        if not text:
            found: list[Customer] = []
        elif in_full:
            found = find_customers(uow.session, text, limit=SHOWN)
        else:
            found = customers_by_account(uow.session, text, limit=SHOWN)
        page = render_template(
            "people/register.html",
            found=[_shown(customer, in_full) for customer in found],
            text=text,
            in_full=in_full,
            size=register_size(uow.session),
            imports=latest_imports(uow.session) if current_user.has_role(*IMPORTERS) else [],
            may_import=current_user.has_role(*IMPORTERS),
            limit_mb=IMPORT_LIMIT_MB,
            error=error,
        )
        shown = [customer.id for customer in found]
    if in_full:
        record_customers_shown(shown, "register_search")
    return page, status


def _shown(customer: Customer, in_full: bool) -> dict[str, Any]:
    address = customer.address or "".join(
        (customer.district, customer.building, customer.unit, customer.room)
    )
    personal = {"name": customer.name, "phone": customer.phone, "address": address}
    if not in_full:
        personal = {kind: masked_as(kind, value) for kind, value in personal.items()}
    return {
        "account": customer.account_no,
        **personal,
        "service": customer.service,
        "heated_area": customer.heated_area,
        "meter_no": customer.meter_no,
    }


@bp.route("")
@roles_required(*REGISTER_ROLES)
def index() -> Any:
    return _page()


def _too_large() -> Any:
    return _page(_("The file is larger than %(limit)s MB; nothing was imported.", limit=IMPORT_LIMIT_MB), 413)


@bp.route("/import", methods=["POST"])
@takes_large_upload(_BODY_LIMIT, _too_large)
@roles_required(*IMPORTERS)
def import_file() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(_("Choose a CSV or XLSX file to import."), 400)
    content = upload.read()
    try:
        with unit_of_work() as uow:
            result = import_register(uow, current_user.username, upload.filename, content)
            uow.commit()
    except ImportRefused as refused:
        return _page(
            _(
                "%(file)s was not imported: %(reason)s",
                file=upload.filename,
                reason=refused.say(catalog_text),
            ),
            400,
        )
    return _result_page(result.import_id)


def _result_page(import_id: int | None) -> Any:
    with read_only() as uow:
        kept = kept_import(uow.session, import_id) if import_id is not None else None
        if kept is None:
            abort(404)
        return render_template(
            "people/register_import.html",
            kept=kept,
            rejected=rejected_of(kept)[:SHOWN],
            say=lambda row: row.say(catalog_text),
        )


@bp.route("/imports/<int:import_id>")
@roles_required(*IMPORTERS)
def imported(import_id: int) -> Any:
    return _result_page(import_id)


@bp.route("/imports/<int:import_id>/rejected.csv")
@roles_required(*IMPORTERS)
def rejected_file(import_id: int) -> Response:
    with read_only() as uow:
        kept = kept_import(uow.session, import_id)
        if kept is None:
            abort(404)
        body = rejected_rows_csv(rejected_of(kept), catalog_text)
    name = f"rejected-{import_id}.csv"
    return Response(
        ("\ufeff" + body).encode("utf-8"),
        mimetype=_MIMETYPES["csv"],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/export.<kind>")
@roles_required(*REGISTER_ROLES)
def export(kind: str) -> Response:
    if kind not in EXPORT_KINDS:
        abort(404)
    in_full = bool(current_user.sees_personal_data)
    with unit_of_work() as uow:
        body = export_register(uow, current_user.username, in_full, kind)
        uow.commit()
    name = f"customers{'' if in_full else '-masked'}.{kind}"
    return Response(
        body, mimetype=_MIMETYPES[kind], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
