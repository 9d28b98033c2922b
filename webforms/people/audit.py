"""The administrative changes (staff accounts, departments, categories, imports of the customer
register), for supervisors and administrators: who changed what, when, each field before and after (an
import: its counts); a password only as "reset" or "changed"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from engine.reference import admin_events
from webforms.database import read_only
from webforms.people.auth import roles_required

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

ACTIONS = {
    "user_added": _l("Account added"),
    "user_changed": _l("Account changed"),
    "user_disabled": _l("Account disabled"),
    "user_enabled": _l("Account enabled again"),
    "password_reset": _l("Password reset"),
    "password_changed": _l("Own password changed"),
    "department_added": _l("Department added"),
    "department_changed": _l("Department changed"),
    "department_retired": _l("Department retired"),
    "department_restored": _l("Department in use again"),
    "category_added": _l("Category added"),
    "category_changed": _l("Category changed"),
    "reference_seeded": _l("Default reference data added"),
    "api_client_added": _l("API client added"),
    "api_client_revoked": _l("API client revoked"),
    "import": _l("Customer register imported"),
    "report_recipient_added": _l("Report recipient added"),
    "report_recipient_removed": _l("Report recipient removed"),
    "customer_messages_changed": _l("How a customer is told changed"),
}
KINDS = {
    "user": _l("Staff account"),
    "department": _l("Department"),
    "category": _l("Category"),
    "reference_data": _l("Reference data"),
    "api_client": _l("API client"),
    "customer_register": _l("Customer register"),
    "report": _l("Report"),
    "customer": _l("Customer"),
}
# What an import's counts are called (an import records counts, not values before and after).
COUNTS = {
    "added": _l("Added"),
    "updated": _l("Updated"),
    "unchanged": _l("Unchanged"),
    "rejected": _l("Rejected"),
}
# The changed fields by the names their forms give them; a field not named here shows its code.
FIELDS = {
    "display_name": _l("Display name"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "language": _l("Language of messages and mailed reports"),
    "groups": _l("Role and departments"),
    "active": _l("Active"),
    "name": _l("Name"),
    "name_en": _l("English name"),
    "domain": _l("Domain"),
    "parent_code": _l("Parent"),
    "upstream": _l("Reply upstream"),
    "scopes": _l("Scopes"),
    "role": _l("Acting role"),
    "expires_at": _l("Expires"),
    # how many of each the default reference data added ("reference_seeded")
    "departments": _l("Departments"),
    "categories": _l("Categories"),
    "case_sources": _l("Case sources"),
}


@bp.route("")
@roles_required("supervisor", "admin")
def index() -> Any:
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    subject = request.args.get("subject", "")[:100]
    with read_only() as uow:
        return render_template(
            "people/audit.html",
            events=admin_events(uow.session, subject_kind=kind or None, subject=subject or None),
            actions=ACTIONS,
            kinds=KINDS,
            counts=COUNTS,
            fields=FIELDS,
            kind=kind,
            subject=subject,
        )
