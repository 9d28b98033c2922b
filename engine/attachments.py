"""Files attached to a case: photos from site and scans. The bytes live in a folder outside the
database, named by their SHA-256 checksum (so a file is stored once and can be checked); the database
keeps a row per attachment and the case history an event.

A file's kind is decided by its first bytes, not by the name or the browser's word for it. Writing
happens before the transaction commits: if it then rolls back, the stored bytes are simply unused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .models import Attachment, Event
from .projection import event_row

MAX_BYTES = 5 * 1024 * 1024
# content type -> the bytes such a file starts with
KINDS = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",), "application/pdf": (b"%PDF-",)}


@dataclass(frozen=True)
class AttachmentRefused(ValueError):
    code: str  # too_large, empty, not_allowed
    limit: int = MAX_BYTES


def kind_of(data: bytes) -> str | None:
    return next((kind for kind, starts in KINDS.items() if data.startswith(starts)), None)


def stored_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def add_attachment(session: Session, folder: Path, instance_id: int, task_id: int | None, file_name: str,
                   data: bytes, actor: str, now: datetime, history: list[dict[str, Any]] | None = None) -> Attachment:
    """Store the file and its row; the history event is written now, or appended to `history` for a
    caller that writes a step's events together (a signature drawn in a task's form)."""
    if not data:
        raise AttachmentRefused("empty")
    if len(data) > MAX_BYTES:
        raise AttachmentRefused("too_large")
    kind = kind_of(data)
    if kind is None:
        raise AttachmentRefused("not_allowed")
    digest = hashlib.sha256(data).hexdigest()
    target = stored_path(folder, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)  # whole or not at all
    name = Path(file_name or "file").name[:200] or "file"
    attachment = Attachment(instance_id=instance_id, task_id=task_id, file_name=name, content_type=kind, size=len(data),
                            sha256=digest, uploaded_by=actor, uploaded_at=now)
    session.add(attachment)
    session.flush()
    event = event_row(instance_id, now, actor, "attachment_added", None, name, {"attachment": [None, name]})
    if history is None:
        session.execute(insert(Event), [event])
    else:
        history.append(event)
    return attachment


def attachments_of(session: Session, instance_id: int) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)))


def read_attachment(folder: Path, attachment: Attachment) -> bytes:
    """The stored bytes, checked against the checksum recorded at upload."""
    data = stored_path(folder, attachment.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise OSError(f"attachment {attachment.id} does not match its checksum")
    return data
