"""M2/M3: the addresses each report is mailed to, kept by an administrator (audited) and added to the
settings' own."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import FieldError
from engine.db import ReportRecipient
from engine.errors import FormInvalid, NotFound
from engine.reference import record_admin_change
from engine.runtime import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

REPORT_KINDS = ("weekly", "monthly")
MESSAGE_LANGUAGES = ("zh_CN", "en")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def report_recipients(session: Session) -> list[ReportRecipient]:
    return list(
        session.scalars(select(ReportRecipient).order_by(ReportRecipient.kind, ReportRecipient.address))
    )


def recipients_of(
    session: Session, kind: str, from_settings: Mapping[str, Sequence[str]]
) -> list[tuple[str, str]]:
    """(address, language) for `kind`: the settings' addresses (in Chinese), then the administrator's in
    the language chosen for each, each address once (the administrator's language wins)."""
    found = dict.fromkeys(from_settings.get(kind, ()), DEFAULT_LANGUAGE)
    for address, language in session.execute(
        select(ReportRecipient.address, ReportRecipient.language).where(ReportRecipient.kind == kind)
    ):
        found[address] = language or DEFAULT_LANGUAGE
    return list(found.items())


def add_report_recipient(
    uow: UnitOfWork, kind: str, address: str, note: str, actor: str, language: str = DEFAULT_LANGUAGE
) -> ReportRecipient:
    """Raises FormInvalid (an unknown kind or language, not an e-mail address, already listed with
    another language or note); the very same address, language and note again changes nothing."""
    address, note = address.strip(), note.strip()[:200]
    values = {"kind": kind, "address": address, "note": note, "language": language}
    if kind not in REPORT_KINDS:
        raise FormInvalid({"kind": FieldError("not_option")}, values)
    if not _ADDRESS.match(address) or len(address) > 200:
        raise FormInvalid({"address": FieldError("not_email")}, values)
    if language not in MESSAGE_LANGUAGES:
        raise FormInvalid({"language": FieldError("not_option")}, values)
    same = uow.session.scalars(
        select(ReportRecipient).where(ReportRecipient.kind == kind, ReportRecipient.address == address)
    ).first()
    if same is not None and (same.language, same.note) == (language, note):
        return same  # the same form sent twice (a double click): listed once, as asked
    row = ReportRecipient(
        kind=kind, address=address, note=note, language=language, added_by=actor, added_at=uow.clock.now()
    )
    try:
        with uow.session.begin_nested():
            uow.session.add(row)
    except IntegrityError as err:
        raise FormInvalid({"address": FieldError("already_listed")}, values) from err
    record_admin_change(
        uow.session,
        uow.clock,
        actor,
        "report_recipient_added",
        "report",
        kind,
        {"address": [None, address], "language": [None, language]},
    )
    return row


def remove_report_recipient(uow: UnitOfWork, recipient_id: int, actor: str) -> None:
    row = uow.session.get(ReportRecipient, recipient_id)
    if row is None:
        raise NotFound(f"no report recipient {recipient_id}")
    record_admin_change(
        uow.session,
        uow.clock,
        actor,
        "report_recipient_removed",
        "report",
        row.kind,
        {"address": [row.address, None]},
    )
    uow.session.delete(row)
