"""Which of a case's files are a customer's personal data (M6). Who may read a case's files at all is
the rule of the case itself (engine.cases.may_read_case: the same as its page and history)."""

from __future__ import annotations

from engine.bpmn import fields_by_id
from engine.cases import parsed_definition
from engine.db import ProcessInstance
from engine.runtime import Runtime


def is_signature(engine: Runtime, instance: ProcessInstance, attachment_id: int) -> bool:
    """A customer's drawn signature: the case's data keeps its attachment id in a signature field."""
    fields = fields_by_id(parsed_definition(engine, instance.definition))
    return any(
        field.type == "signature" and instance.data.get(field_id) == attachment_id
        for field_id, field in fields.items()
    )
