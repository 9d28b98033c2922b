"""The knowledge base: answers the hotline gives on the spot, each change kept as a version, and the
search terms each entry is found by."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class KnowledgeEntry(Base):
    """An entry as it reads now (its latest version), who owns it and when it was last reviewed."""

    __tablename__ = "knowledge_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(50), default="")
    keywords: Mapped[str] = mapped_column(String(500), default="")
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    owner: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    reviewed_at: Mapped[datetime]
    reviewed_by: Mapped[str] = mapped_column(String(100))


class KnowledgeVersion(Base):
    """One version of an entry as its author saved it; never changed afterwards."""

    __tablename__ = "knowledge_version"
    __table_args__ = (UniqueConstraint("entry_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entry.id"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    answer: Mapped[str] = mapped_column(Text)
    category_code: Mapped[str] = mapped_column(String(50), default="")
    keywords: Mapped[str] = mapped_column(String(500), default="")
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]
    owner: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    author: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(500), default="")


class KnowledgeTerm(Base):
    """A word an entry is found by (Chinese split into words by jieba), with its weight: words of the
    title and keywords count more than words of the answer."""

    __tablename__ = "knowledge_term"
    __table_args__ = (Index("ix_knowledge_term_term", "term"),)

    entry_id: Mapped[int] = mapped_column(ForeignKey("knowledge_entry.id"), primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
    weight: Mapped[int]
