"""The database tables (SQLAlchemy 2.0). Pages and reports read these projections, never workflow state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite keeps no zone, so it is restored here)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType}


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


# What case search filters on (engine/case_search.py). A case's row is wide (it holds the serialized
# workflow), so each search index carries all of these: the ids of a page and the counts come from the
# index alone. One index per column a filter narrows by equality, one for no such filter (by date).
SEARCHED_COLUMNS = (
    "status",
    "opened_at",
    "id",
    "process_key",
    "category",
    "department",
    "case_number",
    "customer_name",
    "customer_phone",
    "address",
)


def _search_index(name: str, *leading: str) -> Index:
    return Index(name, *leading, *(c for c in SEARCHED_COLUMNS if c not in leading))


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_instance_customer_phone", "customer_phone"),
        _search_index("ix_instance_search", "opened_at", "id"),
        _search_index("ix_instance_status_opened", "status", "opened_at"),
        _search_index("ix_instance_process_search", "process_key", "status", "opened_at"),
        _search_index("ix_instance_category_search", "category", "status", "opened_at"),
        _search_index("ix_instance_department_search", "department", "status", "opened_at"),
        # The tasklist's search (engine/search_text.py): a trigram index on PostgreSQL (pg_trgm), a plain
        # one on SQLite, which scans this narrow index instead of the wide case rows.
        Index(
            "ix_instance_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(40), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict[str, Any]]
    category: Mapped[str | None] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(50))
    customer_name: Mapped[str | None] = mapped_column(String(100))
    customer_phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    priority: Mapped[str | None] = mapped_column(String(20))
    search_text: Mapped[str | None] = mapped_column(String(700))
    current_step: Mapped[str | None] = mapped_column(String(200))
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")


class HumanTask(Base):
    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_task_open_due", "status", "due_at"),
        Index("ix_task_instance", "instance_id", "status"),
        UniqueConstraint("instance_id", "task_guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    candidate_groups: Mapped[str] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # What someone typed and saved without completing; shown again when the form opens.
    draft: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    draft_by: Mapped[str | None] = mapped_column(String(100))
    draft_at: Mapped[datetime | None]

    instance: Mapped[ProcessInstance] = relationship()
    groups: Mapped[list[HumanTaskGroup]] = relationship(cascade="all, delete-orphan")


class HumanTaskGroup(Base):
    """One row per candidate group, so "tasks of my groups" is an indexed lookup."""

    __tablename__ = "human_task_group"
    __table_args__ = (Index("ix_task_group_name", "group_name", "task_id"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    group_name: Mapped[str] = mapped_column(String(100), primary_key=True)


class Timer(Base):
    __tablename__ = "timer"
    __table_args__ = (
        Index(
            "ix_timer_due_pending",
            "due_at",
            sqlite_where=text("fired_at IS NULL"),
            postgresql_where=text("fired_at IS NULL"),
        ),
        UniqueConstraint("instance_id", "task_guid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    # An incident: the firing failed (a script error); a supervisor retries it once the cause is fixed.
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None]


class Event(Base):
    """The case history: append-only; rows are never updated or deleted."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_instance_at", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    element_id: Mapped[str | None] = mapped_column(String(100))
    element_name: Mapped[str | None] = mapped_column(String(200))
    changes: Mapped[dict[str, Any]]


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}


class UserRole(Base):
    """A role is also a candidate group: a user may do the tasks of every group they hold."""

    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)


class CaseCounter(Base):
    __tablename__ = "case_counter"

    prefix: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int]


class IntakeKey(Base):
    """The one-time key an intake form was rendered with, and the case its first submission opened: a
    second submission of the same form (double click, resubmit after a slow answer) finds the case here
    instead of opening another. The primary key settles two submissions at once in the database."""

    __tablename__ = "intake_key"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", name="fk_intake_key_instance"))
    created_at: Mapped[datetime]


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


class Notice(Base):
    """A public outage or restoration notice (O1-O3), listed without sign-in."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    case_number: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # outage or restoration
    service: Mapped[str] = mapped_column(String(20))
    outage_type: Mapped[str] = mapped_column(String(20))
    district: Mapped[str] = mapped_column(String(100))
    building: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime | None]
    estimated_restore_at: Mapped[datetime | None]
    restored_at: Mapped[datetime | None]
    published_at: Mapped[datetime]
    recipients: Mapped[list[NoticeRecipient]] = relationship(lazy="raise", viewonly=True)


class NoticeRecipient(Base):
    """An affected customer to be told of a notice; a later sender delivers these and marks them sent."""

    __tablename__ = "notice_recipient"
    __table_args__ = (Index("ix_notice_recipient_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notice.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending")


class Notification(Base):
    """An in-app message to one member of staff (L2 notice to a department head, chases)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_recipient", "recipient", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str | None] = mapped_column(String(100))
    # notify: a diagram's notify effect; chase: a deadline passed (督办)
    kind: Mapped[str] = mapped_column(String(20), default="notify", server_default=text("'notify'"))
    message: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class Attachment(Base):
    """A file attached to a case (a photo from site, a scan): stored outside the database by checksum."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id"))
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


class HandoverRecord(Base):
    """One shift change (M7): prepared by the scheduler, completed by the outgoing operator,
    acknowledged by the incoming shift."""

    __tablename__ = "handover_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_start: Mapped[datetime]
    shift_end: Mapped[datetime] = mapped_column(unique=True)
    prepared_at: Mapped[datetime]
    snapshot: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))  # prepared, handed_over, acknowledged
    notes: Mapped[str | None] = mapped_column(Text)
    flood_notes: Mapped[str | None] = mapped_column(Text)
    handed_over_by: Mapped[str | None] = mapped_column(String(100))
    handed_over_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
    acknowledged_at: Mapped[datetime | None]


# --- supervision: reports and callback samples (M1-M4) ------------------------------------------------

# What the KPI and report queries range over: cases by the day they were received, tasks by their
# deadline and by (element, completion time), for the callbacks that record satisfaction.
Index("ix_instance_opened", ProcessInstance.opened_at)
Index("ix_task_due", HumanTask.due_at)
Index("ix_task_element_completed", HumanTask.element_id, HumanTask.completed_at)


class Report(Base):
    """A generated weekly (M2) or monthly (M3) report: its figures as they stood when it was made.

    One per kind and period (the unique constraint keeps several scheduler processes from making two);
    `notable_cases` holds the cases a supervisor picked for the monthly case analysis (M3).
    """

    __tablename__ = "report"
    __table_args__ = (UniqueConstraint("kind", "period_start", name="uq_report_kind_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # weekly or monthly
    period_start: Mapped[str] = mapped_column(String(10))  # ISO date of the first day
    period_end: Mapped[str] = mapped_column(String(10))  # ISO date of the last day (included)
    generated_at: Mapped[datetime]
    generated_by: Mapped[str] = mapped_column(String(100))
    content: Mapped[dict[str, Any]]
    notable_cases: Mapped[dict[str, Any] | None]  # {"cases": [{"case_number", "note"}, …]}
    notable_by: Mapped[str | None] = mapped_column(String(100))
    notable_at: Mapped[datetime | None]


class CallbackSample(Base):
    """One week's random draw of on-site orders to call back (M1), recorded so it can be checked:
    the population, the seed and the method give the same chosen cases again."""

    __tablename__ = "callback_sample"
    __table_args__ = (UniqueConstraint("week_start", name="uq_callback_sample_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    week_start: Mapped[str] = mapped_column(String(10))  # ISO date of the Monday
    week_end: Mapped[str] = mapped_column(String(10))  # ISO date of the Sunday
    method: Mapped[str] = mapped_column(String(40))
    seed: Mapped[str] = mapped_column(String(64))
    rate: Mapped[str] = mapped_column(String(10))  # "0.05"
    population_size: Mapped[int]
    sample_size: Mapped[int]
    population: Mapped[dict[str, Any]]  # {"cases": [case numbers, sorted]}
    chosen: Mapped[dict[str, Any]]  # {"cases": [case numbers, in draw order]}
    drawn_at: Mapped[datetime]
    drawn_by: Mapped[str] = mapped_column(String(100))
