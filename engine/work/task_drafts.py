"""A task's draft: what someone typed and saved without completing, to finish later. Not a step of the
case: nothing is validated or written to the workflow, and completing the task replaces it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.cases import workable_task
from engine.db import HumanTask
from engine.errors import FormInvalid
from engine.runtime import Actor

MAX_DRAFT_BYTES = 64 * 1024


def save_draft(
    session: Session,
    task_id: int,
    actor: Actor,
    submitted: Mapping[str, Any],
    field_ids: set[str],
    now: datetime,
) -> HumanTask:
    task = workable_task(session, task_id, actor)
    # A multiple choice is kept as its ids separated by commas, as its field reads them back.
    draft = {
        key: ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        for key, value in submitted.items()
        if key in field_ids
    }
    refused = {
        key: error
        for key, value in draft.items()
        if (error := control_character_error(value, True)) is not None
    }
    if refused:
        raise FormInvalid(refused, dict(submitted))
    if len(json.dumps(draft, ensure_ascii=False).encode("utf-8")) > MAX_DRAFT_BYTES:
        raise FormInvalid(
            {next(iter(draft)): FieldError("max_length", {"max": MAX_DRAFT_BYTES})}, dict(submitted)
        )
    task.draft, task.draft_by, task.draft_at = draft, actor.username, now
    return task
