"""Staff accounts and roles, the customer register (M5) and the log of unmasked views (M6)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db.models.base import Base, JSONType


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    phone: Mapped[str] = mapped_column(String(30), default="", server_default=text("''"))
    email: Mapped[str] = mapped_column(String(200), default="", server_default=text("''"))
    # Set when an administrator chose the password (a new account, a reset): the next sign-in leads to
    # the password page and nowhere else until the user has chosen their own.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Signs in against the LDAP directory (engine.people.directory): no local password, and the display
    # name, phone, e-mail and groups are the directory's, brought in line at each sign-in.
    directory_managed: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # How chases and urgent reports reach the person besides the app: sms, email, none, or "" (SMS if
    # they have a phone, otherwise e-mail).
    message_channel: Mapped[str] = mapped_column(String(10), default="", server_default=text("''"))
    # The language of those messages (zh_CN or en); the pages follow the language switch instead.
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default=text("'zh_CN'"))

    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class UserRole(Base):
    """A role is also a candidate group: a user may do the tasks of every group they hold."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)


class AdminAudit(Base):
    """An administrative change (a staff account, a department, a category): who, when, what changed
    (each field before and after). Append-only; supervisors read it."""

    __tablename__ = "admin_audit"
    __table_args__ = (
        Index("ix_admin_audit_at", "at"),
        Index("ix_admin_audit_subject", "subject_kind", "subject", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    subject_kind: Mapped[str] = mapped_column(String(20))  # user, department or category
    subject: Mapped[str] = mapped_column(String(100))
    # {field: [before, after]}; a password is recorded as changed, never its value or hash.
    changes: Mapped[dict[str, Any]]


class PersonalDataAccess(Base):
    """Who saw a customer's personal data unmasked, when, and where (M6). Append-only."""

    __tablename__ = "personal_data_access"
    __table_args__ = (
        Index("ix_pii_access_instance", "instance_id", "at"),
        Index("ix_pii_access_user", "username", "at"),
        Index("ix_pii_access_customer", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(100))
    # The case whose data was read, or (at intake, before there is a case) the register's customer.
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", name="fk_pii_access_customer"))
    view: Mapped[str] = mapped_column(String(100))


class Customer(Base):
    """The customer register (M5): who lives where, so an outage notice knows whom it concerns."""

    __tablename__ = "customer"
    __table_args__ = (Index("ix_customer_area", "district", "building", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30))
    email: Mapped[str] = mapped_column(String(200), default="")
    district: Mapped[str] = mapped_column(String(100))
    building: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50))
    room: Mapped[str] = mapped_column(String(50), default="")
    # The address as the customer gives it on the phone; district/building/unit are the register's.
    address: Mapped[str] = mapped_column(String(300), default="", server_default=text("''"))
    heated_area: Mapped[float | None]
    # From the billing system's register (engine.people.customer_import): more numbers, the meter, the
    # service (heating or water).
    other_phones: Mapped[str] = mapped_column(String(100), default="", server_default=text("''"))
    meter_no: Mapped[str] = mapped_column(String(50), default="", server_default=text("''"))
    service: Mapped[str] = mapped_column(String(20), default="", server_default=text("''"))
    # The customer asked for no SMS: notices go by e-mail if there is an address, otherwise not at all.
    no_sms: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # The language messages to the customer are written in (zh_CN unless the record says otherwise).
    language: Mapped[str] = mapped_column(String(10), default="zh_CN", server_default=text("'zh_CN'"))


class CustomerImport(Base):
    """One import of the customer register (engine.people.customer_import): who, when, which file, the
    counts, and the rejected rows ([line, reason code, its parameters, the row's values as given]) so
    the person who imported can fetch them later. The audit event of the import names the same file."""

    __tablename__ = "customer_import"
    __table_args__ = (Index("ix_customer_import_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(100))
    added: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]
    rejected_count: Mapped[int]
    rejected: Mapped[list[Any]] = mapped_column(JSONType)


class SignInSession(Base):
    """A signed-in browser session, kept on the server so it can end: the cookie carries only a random
    token, whose SHA-256 is the key here. A session ends when it is revoked (sign-out, a password
    change, the account disabled), idle longer than the idle limit or older than the absolute lifetime."""

    __tablename__ = "sign_in_session"
    __table_args__ = (
        Index("ix_sign_in_session_user", "user_id"),
        Index("ix_sign_in_session_seen", "last_seen_at"),
    )

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    # Updated at most once a minute, so reading pages do not write on every request.
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    address: Mapped[str] = mapped_column(String(100), default="")


class InstallationSecret(Base):
    """A secret the installation makes once and every process reads: the key that signs session cookies
    and form tokens when HOTLINE_SECRET_KEY is not set. The first process to start inserts it; the
    others' inserts of their own candidates do nothing, and all read the one stored."""

    __tablename__ = "installation_secret"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class SignInFailure(Base):
    """A refused sign-in (wrong password, unknown or disabled user): the record that throttles guessing
    per account and per client address, shared by every web process."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (
        Index("ix_sign_in_failure_username", "username", "at"),
        Index("ix_sign_in_failure_address", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))


class ApiClient(Base):
    """A program that calls the REST API (a phone system, the 12345 platform's bridge): it acts with
    one staff role and its departments, within its scopes, until it expires or is revoked. The token is
    shown once when the client is made; only its SHA-256 is kept."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token's first characters, so an administrator can tell which token a log or a caller names.
    token_prefix: Mapped[str] = mapped_column(String(12))
    # Space-separated scopes (cases:create cases:read tasks:work notices:read customers:read external:work
    # messages:send webhooks:manage).
    scopes: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(100))
    # Space-separated department codes the client acts for besides its role.
    departments: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def department_list(self) -> list[str]:
        return self.departments.split()
