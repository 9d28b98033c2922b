"""Delivery receipts: the SMS gateway calls back to say a message reached the phone, or never will.

No sign-in: the gateway proves itself with the shared token (HOTLINE_RECEIPT_TOKEN) as a bearer token or
`?token=`. Two shapes: the generic one (`{"id", "status": delivered|failed, "error"}` or a list of them)
and Tencent Cloud SMS's status callback (a list of `{"sid", "report_status": SUCCESS|FAIL, "errmsg",
"description"}`; Tencent itself signs nothing, so the token goes in the callback URL).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, current_app, jsonify, request

from engine.messaging import Receipt, record_delivery_receipts
from webforms import csrf
from webforms.database import unit_of_work

bp = Blueprint("receipts", __name__)
_MOST = 1000  # receipts in one callback


def _authorized() -> bool:
    token = current_app.config.get("HOTLINE_RECEIPT_TOKEN") or ""
    if not token:
        return False
    header = request.headers.get("Authorization", "")
    given = (
        header.removeprefix("Bearer ").strip()
        if header.startswith("Bearer ")
        else request.args.get("token", "")
    )
    return hmac.compare_digest(given.encode(), token.encode())


def _items() -> list[Any] | None:
    body = request.get_json(silent=True)
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if items is None or len(items) > _MOST or not all(isinstance(i, dict) for i in items):
        return None
    return items


def _generic(item: dict[str, Any]) -> Receipt | None:
    status = item.get("status")
    if not isinstance(item.get("id"), str) or status not in ("delivered", "failed"):
        return None
    return Receipt(item["id"], status == "delivered", str(item.get("error") or ""))


def _tencent(item: dict[str, Any]) -> Receipt | None:
    status = item.get("report_status")
    if not isinstance(item.get("sid"), str) or status not in ("SUCCESS", "FAIL"):
        return None
    error = " ".join(str(item.get(k) or "") for k in ("errmsg", "description")).strip()
    return Receipt(item["sid"], status == "SUCCESS", error)


@bp.route("/outbox/receipts/<any(generic, tencent):provider>", methods=["POST"])
@csrf.exempt
def receive(provider: str) -> Any:
    if not _authorized():
        return jsonify(result=1, errmsg="not authorized"), 401
    items = _items()
    parse = _generic if provider == "generic" else _tencent
    receipts = [parse(item) for item in items] if items is not None else None
    if receipts is None or any(r is None for r in receipts):
        return jsonify(result=1, errmsg="a receipt is not in the expected form"), 400
    with unit_of_work() as uow:
        matched = record_delivery_receipts(uow, [r for r in receipts if r is not None])
        uow.commit()
    return jsonify(result=0, errmsg="OK", matched=matched)
