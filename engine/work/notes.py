"""Notes on a case: a comment thread staff add to (who, when, text), never edit or delete.

A note may name people (`@username`) or groups (`@operations`, `@supervisor`: a role or department);
each person named, and every active member of a group named, is told in the app with a link to the
case. The author is not told of their own note. A name that is neither a person nor a group stays
plain text. Adding a note writes a `note_added` event to the case history in the same unit of work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.bpmn import control_character_error
from engine.db import CaseNote, Event, Notification, ProcessInstance, User, UserRole
from engine.errors import HotlineError
from engine.messages import N_
from engine.runtime import Actor

MAX_NOTE_LENGTH = 2000
MENTION = re.compile(r"(?<![\w@])@([A-Za-z][A-Za-z0-9_.\-]{0,99})")
NOTE_ADDED = "note_added"


class NoteRefused(HotlineError, ValueError):
    """A note that is not kept: empty, too long, or holding a control character."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "note-empty": N_("Write the note first."),
        "note-too-long": N_(
            "A note may be at most %(max)s characters long (this one has %(length)s); shorten it or split it "
            "into two notes."
        ),
        "note-control-character": N_(
            "The note holds a control character (%(code)s) that cannot be kept; retype the text instead of "
            "pasting it."
        ),
    }


def checked_text(text: str) -> str:
    """The note's text without surrounding blanks; NoteRefused when it cannot be kept."""
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise NoteRefused("empty note", code="note-empty")
    if len(text) > MAX_NOTE_LENGTH:
        raise NoteRefused(
            "note too long", code="note-too-long", params={"max": MAX_NOTE_LENGTH, "length": len(text)}
        )
    problem = control_character_error(text, multiline=True)
    if problem is not None:
        raise NoteRefused(
            "control character in a note", code="note-control-character", params=dict(problem.params)
        )
    return text


def mentioned(session: Session, text: str) -> tuple[list[str], list[str]]:
    """The people and the groups the text names with @, each once, in the order named."""
    names = list(dict.fromkeys(MENTION.findall(text)))
    if not names:
        return [], []
    users = set(session.scalars(select(User.username).where(User.username.in_(names), User.active.is_(True))))
    groups = set(session.scalars(select(UserRole.role).where(UserRole.role.in_(names)).distinct()))
    return [n for n in names if n in users], [n for n in names if n in groups and n not in users]


def _members(session: Session, groups: list[str]) -> list[str]:
    if not groups:
        return []
    return list(
        session.scalars(
            select(User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role.in_(groups), User.active.is_(True))
            .distinct()
            .order_by(User.username)
        )
    )


def add_note(session: Session, instance: ProcessInstance, actor: Actor, text: str, now: datetime) -> CaseNote:
    """Add a note to the case, tell whoever it names, and record it in the history."""
    text = checked_text(text)
    users, groups = mentioned(session, text)
    told = [u for u in dict.fromkeys([*users, *_members(session, groups)]) if u != actor.username]
    note = CaseNote(
        instance_id=instance.id,
        author=actor.username,
        written_at=now,
        text=text,
        mentions={"users": users, "groups": groups, "notified": told},
    )
    session.add(note)
    session.flush()
    if told:
        excerpt = text if len(text) <= 100 else text[:100] + "…"
        session.execute(
            insert(Notification),
            [
                {
                    "recipient": username,
                    "instance_id": instance.id,
                    "element_id": None,
                    "kind": "mention",
                    "message": f"{actor.username} 在工单 {instance.case_number} 的备注中提到了您：{excerpt}",
                    "message_en": f"{actor.username} mentioned you in a note on case {instance.case_number}: {excerpt}",
                    "created_at": now,
                }
                for username in told
            ],
        )
    changes: dict[str, Any] = {"note": [None, text]}
    if told:
        changes["recipients"] = [None, told]
    session.add(
        Event(instance_id=instance.id, at=now, actor=actor.username, kind=NOTE_ADDED, changes=changes)
    )
    return note


def notes_of(session: Session, instance_id: int) -> list[CaseNote]:
    """The case's notes, oldest first."""
    return list(
        session.scalars(select(CaseNote).where(CaseNote.instance_id == instance_id).order_by(CaseNote.id))
    )
