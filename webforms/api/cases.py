"""Cases: opened with the start form's values (the intake use case, as the intake page), searched
with the case search's filters, read with their data, deadlines and history, masked as on the pages."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.bpmn import fields_by_id
from engine.cases import (
    case_deadlines,
    case_history,
    latest_definition,
    may_read_case,
    parsed_definition,
    tasks_of_case,
    timers_of_case,
)
from engine.supervision import CaseQuery, search_cases
from engine.work import case_by_number, customer_contact_kinds, intake_task, open_tasks_of_case, record_call
from webforms.api import shown
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.cursors import after_case, case_cursor
from webforms.api.problems import problem
from webforms.api.schemas import CasePageSchema, CaseSchema, CaseSearchArgs, OpenCaseSchema, OpenedCaseSchema
from webforms.database import read_only, runtime, unit_of_work
from webforms.people.access_records import record_unmasked_list, record_unmasked_view
from webforms.people.masking import hide_customer_of, show_customer_in_full
from webforms.request_log import note_case
from webforms.supervision.case_filters import search_form_of

blp = api_blueprint("cases", "/cases", "Cases: open, search, read with history and deadlines")
PERSONAL_FILTERS = ("customer", "phone", "address")


def _check_procedure(session: Any, procedure: str) -> None:
    """A procedure opened at intake (whose first task is a form); whether the client's role may open
    it, the use case decides (403)."""
    definition = latest_definition(session, procedure, required=False)
    info = intake_task(runtime(), parsed_definition(runtime(), definition)) if definition else None
    if info is None:
        abort(problem(422, _("Unknown procedure"), errors={"procedure": _("No procedure has this key.")}))


@blp.route("", methods=["POST"])
@blp.arguments(OpenCaseSchema)
@blp.response(201, OpenedCaseSchema)
@blp.alt_response(200, schema=OpenedCaseSchema, description="The intake key had opened this case before")
@needs_scope("cases:create")
def open_case(body: dict[str, Any]) -> Any:
    """Open a case with the start form's values, like the intake page (refused values: 422 with the fields)."""
    with unit_of_work() as uow:
        _check_procedure(uow.session, body["procedure"])
        recorded = record_call(
            uow, body["procedure"], current_user.actor, body["values"], body.get("intake_key")
        )
        instance = recorded.instance
        note_case(instance.case_number)
        shown_case = {**shown.case_summary(instance), "first": recorded.first}
        headers = {
            "Location": url_for("api_cases.read_case", number=instance.case_number),
            "ETag": shown.etag(instance),
        }
        if recorded.first:
            uow.commit()
    return shown_case, 201 if recorded.first else 200, headers


def _query(args: dict[str, Any]) -> CaseQuery:
    """The case search page's query, from the API's arguments, after the cursor's case."""
    if not current_user.sees_personal_data and any(args.get(f) for f in PERSONAL_FILTERS):
        abort(problem(403, _("Not allowed"), _("Your role may not search by who the customer is.")))
    named = {"number": "number", "customer": "customer", "phone": "phone", "address": "address"}
    named |= {"process": "procedure", "category": "category", "department": "department", "status": "status"}
    given = {page: str(args.get(api) or "") for page, api in named.items()}
    given |= {"overdue": "1" if args.get("overdue") else "", "sort": args["sort"]}
    for page, api in (("from", "opened_from"), ("to", "opened_to")):
        given[page] = args[api].isoformat() if args.get(api) else ""
    return replace(search_form_of(given).query, after=after_case(args.get("cursor")))


@blp.route("", methods=["GET"])
@blp.arguments(CaseSearchArgs, location="query")
@blp.response(200, CasePageSchema)
@needs_scope("cases:read")
def search(args: dict[str, Any]) -> Any:
    """Cases the client may read, newest (or oldest) first, a page at a time: pass `next_cursor` on."""
    query = _query(args)
    limit = args["limit"]
    with read_only() as uow:
        found = search_cases(uow.session, query, limit + 1)
        page = found[:limit]
        items = [shown.case_summary(c) for c in page]
        named = [c.id for c in page if c.customer_name]
        cursor = case_cursor(page[-1]) if len(found) > limit else None
    record_unmasked_list(named, "api_case_search")
    return {"items": items, "next_cursor": cursor}


@blp.route("/<number>", methods=["GET"])
@blp.response(200, CaseSchema)
@needs_scope("cases:read")
def read_case(number: str) -> Any:
    """One case with its data, open tasks, deadlines and history; its ETag is its version."""
    with read_only() as uow:
        instance = case_by_number(uow.session, number[:40])
        if instance is None or not may_read_case(uow.session, instance.id, current_user.actor):
            abort(404)  # a case the client may not read looks like one that does not exist
        note_case(instance.case_number)
        parsed = parsed_definition(runtime(), instance.definition)
        hide_customer_of(instance)  # a confidential complainant, as on the pages (C7)
        show_customer_in_full(customer_contact_kinds(uow.session, runtime(), instance, current_user.actor))
        fields = fields_by_id(parsed)
        labels = parsed.variable_labels
        now = runtime().clock.now()
        tasks, timers = tasks_of_case(uow.session, instance.id), timers_of_case(uow.session, instance.id)
        body = {
            **shown.case_summary(instance, fields),
            "data": shown.case_data(instance.data, fields, labels),
            "open_tasks": [shown.task_summary(t) for t in open_tasks_of_case(uow.session, instance.id)],
            "deadlines": shown.deadlines(case_deadlines(tasks, timers, now, parsed.element_names)),
            "history": shown.history(case_history(uow.session, instance.id), fields, labels),
        }
        instance_id, data, tag = instance.id, instance.data, shown.etag(instance)
    record_unmasked_view(instance_id, data, "api_case", fields)
    return body, 200, {"ETag": tag}
