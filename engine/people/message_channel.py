"""How a member of staff wants chases (C4) and urgent reports (L2) besides the app: their own choice."""

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


def choose_message_channel(uow: UnitOfWork, username: str, choice: str) -> None:
    if choice not in MESSAGE_CHANNELS:
        raise FormInvalid({"message_channel": FieldError("not_option")}, {"message_channel": choice})
    user = uow.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"no account {username}")
    user.message_channel = choice
