"""Reference data: departments and the categories that route to them."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db.models.base import Base


class Department(Base):
    """A department cases are routed to; its code is also the role (candidate group) of its handlers."""

    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class Category(Base):
    """A kind of case (C1, M3): where it is routed and, for site work, how soon someone must be there (R3)."""

    __tablename__ = "category"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    domain: Mapped[str] = mapped_column(String(20))  # heating, water or general
    parent_code: Mapped[str | None] = mapped_column(String(50))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"))
    onsite_minutes: Mapped[int | None]
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class CaseSource(Base):
    """Where cases come from (issue 19, M10): the own hotline, a walk-in, a liaison, or a platform or
    authority that forwarded the case. `upstream`: the case came through a platform that expects the
    result replied there after the callback (U1), and its deadline counts."""

    __tablename__ = "case_source"

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    upstream: Mapped[bool] = mapped_column(default=False)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
