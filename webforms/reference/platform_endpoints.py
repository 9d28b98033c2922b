"""U1, issue 19: an administrator sets where each forwarding platform takes replies by API (its reply
endpoint: address, token, signing secret, body format). A source with an active endpoint has its
replies sent by the system; one without stays the operator's paste-and-record step. The token and the
secret are never shown again once saved: an empty field keeps them. Routes on the admin blueprint."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import FormInvalid
from engine.messaging import platform_endpoints, save_platform_endpoint
from webforms.database import read_only, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.people.auth import roles_required
from webforms.reference.admin import NOT_SAVED, bp
from webforms.request_checks import checks_own_input


def _page(
    errors: dict | None = None, values: dict | None = None, editing: str = "", status: int = 200
) -> Any:
    with read_only() as uow:
        return render_template(
            "reference/platform_endpoints.html",
            rows=platform_endpoints(uow.session),
            errors=errors or {},
            values=values or {},
            editing=editing,
        ), status


@bp.route("/platform-endpoints")
@roles_required("admin")
def platform_endpoint_list() -> Any:
    return _page()


def _submitted() -> dict[str, Any]:
    form = request.form
    return {
        "url": form.get("url", ""),
        "auth": form.get("auth", ""),
        "secret": form.get("secret", ""),
        "body_format": form.get("body_format", "json"),
        "active": bool(form.get("active")),
        "clear_auth": bool(form.get("clear_auth")),
        "clear_secret": bool(form.get("clear_secret")),
    }


def _again(err: FormInvalid, code: str) -> Any:
    typed = {k: v for k, v in _submitted().items() if k not in ("auth", "secret")}
    return _page(err.errors, {**typed, **err.values}, code, 400)


@bp.route("/platform-endpoints/<code>", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _again)})
def save_platform_endpoint_form(code: str) -> Any:
    with unit_of_work() as uow:
        save_platform_endpoint(uow, current_user.username, code, _submitted())
        uow.commit()
    flash(_("The reply endpoint of %(code)s is saved.", code=code), "success")
    return redirect(url_for("admin.platform_endpoint_list", _anchor=f"endpoint-{code}"))
