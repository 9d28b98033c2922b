"""Administration of reference data: departments and categories with their routes and deadlines."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.reference.admin import save_category, save_department
from engine.reference.data import load_reference_data
from webforms.database import commit, db
from webforms.people.auth import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _page(
    errors: dict | None = None, values: dict | None = None, editing: str = "", status: int = 200
) -> Any:
    return render_template(
        "reference/reference.html",
        reference=load_reference_data(db()),
        errors=errors or {},
        values=values or {},
        editing=editing,
    ), status


@bp.route("/reference")
@roles_required("admin")
def reference() -> Any:
    return _page()


@bp.route("/reference/category", methods=["POST"])
@roles_required("admin")
def category() -> Any:
    code = request.form.get("code", "").strip()
    new = request.form.get("new") == "1"
    errors = save_category(db(), code, request.form, new)
    if errors:
        db().rollback()
        flash(_("Some values need attention; nothing was saved yet."), "error")
        return _page(errors, request.form.to_dict(), "new" if new else code, 400)
    commit()
    flash(_("Category %(code)s saved. New cases use it from now on.", code=code), "success")
    return redirect(url_for("admin.reference"))


@bp.route("/reference/department/<code>", methods=["POST"])
@roles_required("admin")
def department(code: str) -> Any:
    errors = save_department(db(), code, request.form)
    if errors:
        db().rollback()
        flash(_("Some values need attention; nothing was saved yet."), "error")
        return _page(errors, request.form.to_dict(), f"department:{code}", 400)
    commit()
    flash(_("Department %(code)s saved.", code=code), "success")
    return redirect(url_for("admin.reference"))
