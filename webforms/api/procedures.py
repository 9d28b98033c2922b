"""Procedures a client may open cases of, and their start (intake) forms."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user

from engine.cases import latest_definition, parsed_definition
from engine.work import intake_task, startable_processes
from webforms.api.blueprints import api_blueprint
from webforms.api.clients import needs_scope
from webforms.api.schemas import ProcedureSchema, StartFormSchema
from webforms.api.shown import form_field
from webforms.database import read_only, runtime
from webforms.reference.labels import form_fields
from webforms.work.staff_picker import with_staff_options

blp = api_blueprint("procedures", "/procedures", "Procedures and their start forms")


@blp.route("", methods=["GET"])
@blp.response(200, ProcedureSchema(many=True))
@needs_scope("cases:create")
def procedures() -> Any:
    """The procedures whose cases the client's role may open, on their latest versions."""
    with read_only() as uow:
        return [
            {
                "key": p.key,
                "name": p.name,
                "name_en": p.name_en,
                "description": p.description,
                "groups": list(p.groups),
            }
            for p in startable_processes(uow.session, runtime(), current_user.roles)
        ]


@blp.route("/<procedure>/start-form", methods=["GET"])
@blp.response(200, StartFormSchema)
@needs_scope("cases:create")
def start_form(procedure: str) -> Any:
    """The form that opens a case: its fields, types, constraints and options (send `values` by id)."""
    with read_only() as uow:
        definition = latest_definition(uow.session, procedure, required=False)
        info = intake_task(runtime(), parsed_definition(runtime(), definition)) if definition else None
        if info is None:
            abort(404)
        if not set(info.candidate_groups.split(",")) & current_user.roles:
            abort(403)
        fields = with_staff_options(uow.session, form_fields(info.fields))
        return {
            "procedure": procedure,
            "name": info.name,
            "name_en": info.name_en,
            "fields": [form_field(f) for f in fields],
        }
