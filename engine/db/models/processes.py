"""Process owners' tables: deployed definitions, drafts saved from the modeler, the audit of deploys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_definition_key_hash", "key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    case_prefix: Mapped[str] = mapped_column(String(10))
    content_hash: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))
    # Deferred: pages and units of work need the parsed spec (cached by hash), not the text.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))
    # Why this version was made, and from where: file, cli, browser or rollback.
    comment: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    source: Mapped[str] = mapped_column(String(20), default="file", server_default=text("'file'"))


class ProcessDraft(Base):
    """A diagram saved from the modeler, valid or not; only a deploy makes it a version."""

    __tablename__ = "process_draft"
    __table_args__ = (Index("ix_draft_key_saved", "process_key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    problem_count: Mapped[int]
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime]


class ProcessAudit(Base):
    """Who deployed, rolled back or migrated which process version, when and why. Append-only."""

    __tablename__ = "process_audit"
    __table_args__ = (Index("ix_process_audit_key", "process_key", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))  # deploy, rollback or migrate
    source: Mapped[str] = mapped_column(String(20))  # file, cli, browser or rollback
    process_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int | None]
    from_version: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]]
