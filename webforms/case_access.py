"""A case the signed-in user may not open looks like a case that does not exist (docs/access.md): the
case page, its history and diagram, and its files answer the same 404 as an unknown number."""

from __future__ import annotations

from typing import NoReturn

from flask import abort, make_response
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from engine.cases import may_read_case
from webforms.errors import error_page


def refuse_unknown_case() -> NoReturn:
    abort(
        make_response(
            error_page(
                404,
                _("No such case"),
                _("There is no such case, or your roles do not let you see it."),
            )
        )
    )


def check_case_readable(session: Session, instance_id: int | None) -> None:
    """A 404 unless the case exists and the signed-in user may open it."""
    if instance_id is None or not may_read_case(session, instance_id, current_user.actor):
        refuse_unknown_case()
