"""How a member of staff wants chases (C4) and urgent reports (L2) besides the app, and in which
language they are written: their own choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from engine.bpmn import FieldError
from engine.db import User
from engine.errors import FormInvalid, NotFound

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

# "": SMS if the account has a phone, otherwise e-mail.
MESSAGE_CHANNELS = ("", "sms", "email", "none")
# The languages of the messages and mailed reports staff get (the first is the default).
STAFF_LANGUAGES = ("zh_CN", "en")


def choose_message_channel(uow: UnitOfWork, username: str, choice: str, language: str | None = None) -> None:
    """`language`: also the language of those messages (None: left as it is)."""
    errors = {}
    if choice not in MESSAGE_CHANNELS:
        errors["message_channel"] = FieldError("not_option")
    if language is not None and language not in STAFF_LANGUAGES:
        errors["language"] = FieldError("not_option")
    if errors:
        raise FormInvalid(errors, {"message_channel": choice, "language": language or ""})
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no account {username}")
    user.message_channel = choice
    if language is not None:
        user.language = language
