"""The REST API's clients, for administrators: the list, a new client (its token shown once, on the
page that answers the form, never again) and revoking one; a client's webhooks (added with their
secret shown once, paused, resumed, removed) with their last deliveries. Each view parses the form, calls a use case
of engine.people and renders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine.db import ApiClient, Department
from engine.errors import FormInvalid
from engine.messaging import (
    WEBHOOK_EVENTS,
    add_subscription,
    client_named,
    delete_subscription,
    deliveries,
    set_paused,
    subscriptions,
)
from engine.people import API_SCOPES, ROLES, VALID_DAYS, add_api_client, api_clients, revoke_api_client
from webforms.database import read_only, runtime, unit_of_work
from webforms.errors import form_refused, refusals
from webforms.labels import DELIVERY_STATUS
from webforms.people.auth import roles_required
from webforms.request_checks import checks_own_input

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

bp = Blueprint("api_clients", __name__, url_prefix="/admin/api-clients")
NOT_SAVED = _l("Some values need attention; nothing was saved yet.")
DEFAULT_DAYS = 365
# What each scope lets a program do, in words an administrator reads when ticking it (docs/api.md).
SCOPE_DESCRIPTIONS = {
    "cases:create": _l("open cases"),
    "cases:read": _l("search and read cases"),
    "tasks:work": _l("claim, release and complete tasks"),
    "notices:read": _l("read the outage notices"),
    "customers:read": _l("look up customers in the register"),
    "external:work": _l("do automatic steps as an external worker"),
    "messages:send": _l("send messages and signals to running cases"),
    "webhooks:manage": _l("set up its own webhooks"),
}


def _page(values: dict[str, Any], errors: dict[str, Any], status: int = 200, token: str = "") -> Any:
    with read_only() as uow:
        departments = list(
            uow.session.scalars(
                select(Department).where(Department.active.is_(True)).order_by(Department.sort_order)
            )
        )
        return render_template(
            "people/api_clients.html",
            clients=api_clients(uow.session),
            now=runtime().clock.now(),
            scopes=API_SCOPES,
            scope_descriptions=SCOPE_DESCRIPTIONS,
            roles=ROLES,
            departments=departments,
            values=values,
            errors=errors,
            token=token,
            valid_days=VALID_DAYS,
        ), status


@bp.route("")
@roles_required("admin")
def index() -> Any:
    return _page({"days": DEFAULT_DAYS}, {})


def _submitted() -> dict[str, Any]:
    form = request.form
    return {
        "name": form.get("name", ""),
        "scopes": form.getlist("scopes"),
        "role": form.get("role", ""),
        "departments": form.getlist("departments"),
        "days": form.get("days", ""),
    }


def _again(err: FormInvalid) -> Any:
    return _page({**_submitted(), **err.values}, err.errors, 400)


@bp.route("", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _again)})
def add() -> Any:
    submitted = _submitted()
    raw_days = request.form.get("days", "").strip()
    low, high = VALID_DAYS
    zone = runtime().zone
    today = runtime().clock.now().astimezone(zone).date()
    # A validity out of range or unreadable is refused by the use case, saying the allowed range.
    expires = (
        datetime.combine(today + timedelta(days=int(raw_days)), time(0, 0), zone)
        if raw_days.isdigit() and low <= int(raw_days) <= high
        else None
    )
    with unit_of_work() as uow:
        made = add_api_client(
            uow,
            current_user.username,
            submitted["name"],
            scopes=submitted["scopes"],
            role=submitted["role"],
            departments=submitted["departments"],
            expires_at=expires,
        )
        token, name = made.token, made.client.name
        uow.commit()
    flash(_("API client %(name)s added. Copy its token now: it is not shown again.", name=name), "success")
    return _page({"days": DEFAULT_DAYS}, {}, token=token)


@bp.route("/<name>/revoke", methods=["POST"])
@roles_required("admin")
def revoke(name: str) -> Any:
    with unit_of_work() as uow:
        revoke_api_client(uow, current_user.username, name)
        uow.commit()
    flash(_("API client %(name)s revoked: its token no longer works.", name=name), "success")
    return redirect(url_for("api_clients.index"))


# --- a client's webhooks ------------------------------------------------------------------------------------

SHOWN_DELIVERIES = 10


def _webhooks_page(
    name: str, values: dict[str, Any], errors: dict[str, Any], status: int = 200, secret: str = ""
) -> Any:
    with read_only() as uow:
        client = client_named(uow.session, name)
        subscribed = subscriptions(uow.session, client.id)
        return render_template(
            "people/api_client_webhooks.html",
            api_client=client,
            subscriptions=[(s, deliveries(uow.session, s.id, SHOWN_DELIVERIES)) for s in subscribed],
            events=WEBHOOK_EVENTS,
            statuses=DELIVERY_STATUS,
            values=values,
            errors=errors,
            secret=secret,
        ), status


@bp.route("/<name>/webhooks")
@roles_required("admin")
def webhooks(name: str) -> Any:
    """The client's webhook subscriptions, each with its last deliveries and their answers."""
    return _webhooks_page(name, {"events": []}, {})


def _webhook_again(err: FormInvalid, name: str) -> Any:
    submitted = {"url": request.form.get("url", ""), "events": request.form.getlist("events")}
    return _webhooks_page(name, {**submitted, **err.values}, err.errors, 400)


@bp.route("/<name>/webhooks", methods=["POST"])
@checks_own_input
@roles_required("admin")
@refusals({FormInvalid: form_refused(NOT_SAVED, _webhook_again)})
def add_webhook(name: str) -> Any:
    with unit_of_work() as uow:
        client = client_named(uow.session, name)
        made = add_subscription(
            uow, current_user.username, client, request.form.get("url", ""), request.form.getlist("events")
        )
        secret = made.secret
        uow.commit()
    flash(_("Webhook added. Copy its secret now: it is not shown again."), "success")
    return _webhooks_page(name, {"events": []}, {}, secret=secret)


_Change = TypeVar("_Change")


def _change_webhook(name: str, change: Callable[[UnitOfWork, str, ApiClient], _Change]) -> _Change:
    """`change` (a use case of engine.messaging taking the unit, the acting user and the client) done by
    the signed-in administrator to the named client's webhooks, committed; its answer."""
    with unit_of_work() as uow:
        answer = change(uow, current_user.username, client_named(uow.session, name))
        uow.commit()
    return answer


def _set_paused(name: str, subscription_id: int, paused: bool) -> Any:
    _change_webhook(name, partial(set_paused, subscription_id=subscription_id, paused=paused))
    if paused:
        flash(_("Webhook paused: no new deliveries until it is resumed."), "success")
    else:
        flash(_("Webhook resumed."), "success")
    return redirect(url_for("api_clients.webhooks", name=name))


@bp.route("/<name>/webhooks/<int:subscription_id>/pause", methods=["POST"])
@roles_required("admin")
def pause_webhook(name: str, subscription_id: int) -> Any:
    return _set_paused(name, subscription_id, True)


@bp.route("/<name>/webhooks/<int:subscription_id>/resume", methods=["POST"])
@roles_required("admin")
def resume_webhook(name: str, subscription_id: int) -> Any:
    return _set_paused(name, subscription_id, False)


@bp.route("/<name>/webhooks/<int:subscription_id>/remove", methods=["POST"])
@roles_required("admin")
def remove_webhook(name: str, subscription_id: int) -> Any:
    """Soft: the subscription leaves the list and gets nothing more; its deliveries stay on record."""
    if _change_webhook(name, partial(delete_subscription, subscription_id=subscription_id)):
        flash(_("Webhook removed: it gets no more deliveries."), "success")
    else:
        flash(_("This webhook was removed already; nothing changed."), "info")
    return redirect(url_for("api_clients.webhooks", name=name))
