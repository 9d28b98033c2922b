"""Files attached to a case: photos from site and scans. The bytes live in a folder outside the
database, named by their SHA-256 checksum (so a file is stored once and can be checked); the database
keeps a row per attachment and the case history an event.

A file's kind is decided by its first bytes, not by the name or the browser's word for it. Writing
happens before the transaction commits, so a committed row always has its file; if the transaction rolls
back, the stored bytes are unused, and `sweep_orphans` (run daily by the scheduler, or `hotline
attachments --sweep`) deletes such files once they are older than a grace period that outlasts any
upload still in flight.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.cases.projection import EventRow, event_row
from engine.db import Attachment, Event
from engine.errors import HotlineError
from engine.messages import N_

MAX_BYTES = 5 * 1024 * 1024
SWEEP_GRACE = timedelta(hours=24)
# content type -> the bytes such a file starts with
KINDS = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}


class AttachmentRefused(HotlineError, ValueError):
    """A file that is not kept: `code` is too_large, empty or not_allowed; `limit` the largest size."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "empty": N_("Choose a file to attach."),
        "too_large": N_("The file is larger than %(mb)s MB."),
        "not_allowed": N_("Only photos (JPEG, PNG) and PDF files can be attached."),
    }

    def __init__(self, code: str, limit: int = MAX_BYTES) -> None:
        super().__init__(
            f"attachment refused: {code}", code=code, params={"limit": limit, "mb": limit // (1024 * 1024)}
        )
        self.limit = limit


def kind_of(data: bytes) -> str | None:
    return next((kind for kind, starts in KINDS.items() if data.startswith(starts)), None)


def stored_path(folder: Path, sha256: str) -> Path:
    return folder / sha256[:2] / sha256


def add_attachment(
    session: Session,
    folder: Path,
    instance_id: int,
    task_id: int | None,
    file_name: str,
    data: bytes,
    actor: str,
    now: datetime,
    history: list[EventRow] | None = None,
) -> Attachment:
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
    if target.exists():
        # Young again: a sweep that found it unreferenced and old leaves it to this upload's commit.
        os.utime(target)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)  # whole or not at all
    name = Path(file_name or "file").name[:200] or "file"
    attachment = Attachment(
        instance_id=instance_id,
        task_id=task_id,
        file_name=name,
        content_type=kind,
        size=len(data),
        sha256=digest,
        uploaded_by=actor,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    event = event_row(instance_id, now, actor, "attachment_added", None, name, {"attachment": [None, name]})
    if history is None:
        session.execute(insert(Event), [event])
    else:
        history.append(event)
    return attachment


def attachments_of(session: Session, instance_id: int) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.instance_id == instance_id).order_by(Attachment.id)
        )
    )


def read_attachment(folder: Path, attachment: Attachment) -> bytes:
    """The stored bytes, checked against the checksum recorded at upload."""
    data = stored_path(folder, attachment.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise OSError(f"attachment {attachment.id} does not match its checksum")
    return data


def sweep_orphans(
    session: Session, folder: Path, now: datetime, older_than: timedelta = SWEEP_GRACE, remove: bool = True
) -> list[Path]:
    """Delete (with `remove=False`: only list) the stored files no attachment row references that were last written before `now -
    older_than` (left by uploads whose transaction rolled back, or half-written temporary files).
    Returns the files removed. The files are listed before the rows are read, and each is checked
    for age again just before it goes, so an upload committing meanwhile keeps its file."""
    cutoff = now - older_than
    old = [path for path in sorted(folder.glob("??/*")) if path.is_file() and _older(path, cutoff)]
    if not old:
        return []
    referenced = set(session.scalars(select(Attachment.sha256).distinct()))
    removed = []
    for path in old:
        if path.name in referenced or not _older(path, cutoff):
            continue
        if remove:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _older(path: Path, cutoff: datetime) -> bool:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff
    except FileNotFoundError:  # a temporary file renamed into place meanwhile
        return False
