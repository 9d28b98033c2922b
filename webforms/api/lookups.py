"""What a client reads besides cases and tasks: the published outage notices (public anyway) and the
customer register, for roles that see customers' personal data (each record shown is logged, M6)."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user

from engine.cases import recent_notices
from engine.people import find_customers
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.problems import problem
from webforms.api.schemas import CustomerLookupArgs, CustomerSchema, NoticeSchema
from webforms.database import read_only
from webforms.people.access_records import record_customers_shown

notices_blp = api_blueprint("notices", "/notices", "Published outage and restoration notices")
customers_blp = api_blueprint("customers", "/customers", "The customer register")


@notices_blp.route("", methods=["GET"])
@notices_blp.response(200, NoticeSchema(many=True))
@needs_scope("notices:read")
def notices() -> Any:
    """The latest 100 notices, newest first."""
    with read_only() as uow:
        return [
            {
                "id": n.id,
                "case_number": n.case_number,
                "kind": n.kind,
                "service": n.service,
                "outage_type": n.outage_type,
                "district": n.district,
                "building": n.building,
                "unit": n.unit,
                "cause": n.cause,
                "starts_at": n.starts_at,
                "estimated_restore_at": n.estimated_restore_at,
                "restored_at": n.restored_at,
                "published_at": n.published_at,
            }
            for n in recent_notices(uow.session)
        ]


@customers_blp.route("", methods=["GET"])
@customers_blp.arguments(CustomerLookupArgs, location="query")
@customers_blp.response(200, CustomerSchema(many=True))
@needs_scope("customers:read")
def lookup(args: dict[str, Any]) -> Any:
    """Up to 20 customers whose phone or account number starts with `q`, or whose name is `q`, or
    whose address contains it (at least two characters)."""
    if not current_user.sees_personal_data:
        abort(problem(403, _("Not allowed"), _("Your role does not see customers' personal data.")))
    with read_only() as uow:
        customers = find_customers(uow.session, args["q"])
        found = [
            {
                "account_no": c.account_no,
                "name": c.name,
                "phone": c.phone,
                "address": c.address,
                "district": c.district,
                "building": c.building,
                "unit": c.unit,
                "room": c.room,
                "service": c.service,
            }
            for c in customers
        ]
        ids = [c.id for c in customers]
    record_customers_shown(ids, "api_customer_lookup")
    return found
