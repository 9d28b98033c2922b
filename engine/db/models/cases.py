"""A case and what is projected from its workflow: tasks, timers, history events, numbers, files."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db.models.base import Base
from engine.db.models.processes import ProcessDefinition
from engine.errors import HotlineError

# What case search filters on (engine/supervision/case_search.py). A case's row is wide (it holds the serialized
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
        # The tasklist's search (engine/cases/search_text.py): a trigram index on PostgreSQL (pg_trgm), a plain
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
    # Where the case came from (a case_source code); a forwarded case's number and deadline upstream.
    source: Mapped[str] = mapped_column(String(50), default="hotline", server_default=text("'hotline'"))
    upstream_reference: Mapped[str | None] = mapped_column(String(100))
    upstream_deadline: Mapped[datetime | None]
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")


class HumanTask(Base):
    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_task_open_due", "status", "due_at"),
        # (ix_task_open_urgent is declared after the class.) Open tasks someone has claimed: few, and SQLite's statistics of the assignee index (mostly NULL) would
        # make it read every open task to find one person's.
        Index(
            "ix_task_claimed_open",
            "assignee",
            "due_at",
            sqlite_where=text("status = 'open' AND assignee IS NOT NULL"),
            postgresql_where=text("status = 'open' AND assignee IS NOT NULL"),
        ),
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
    # camunda:priority (higher first within the same deadline; Camunda's default 50) and followUpDate.
    priority: Mapped[int] = mapped_column(Integer, default=50, server_default=text("50"))
    follow_up_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # What someone typed and saved without completing; shown again when the form opens.
    draft: Mapped[dict[str, Any] | None] = mapped_column(deferred=True)
    draft_by: Mapped[str | None] = mapped_column(String(100))
    draft_at: Mapped[datetime | None]
    # Graded deadlines: set when a warning level fired (yellow on the tasklist and the board).
    warned_at: Mapped[datetime | None]
    # A paused clock (engine.cases.pauses): since when, by whom, why, until when it resumes by itself.
    paused_at: Mapped[datetime | None]
    paused_by: Mapped[str | None] = mapped_column(String(100))
    pause_reason: Mapped[str | None] = mapped_column(String(30))
    pause_note: Mapped[str | None] = mapped_column(String(500))
    paused_until: Mapped[datetime | None]
    # The deadline before its first pause, and the working time all its pauses moved it by.
    original_due_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default=text("0"))

    @property
    def paused_for(self) -> timedelta:
        """The working time the task's pauses moved its deadline by."""
        return timedelta(seconds=self.paused_seconds or 0)

    instance: Mapped[ProcessInstance] = relationship()
    groups: Mapped[list[HumanTaskGroup]] = relationship(cascade="all, delete-orphan")


# The tasklist reads a large tab's open tasks in urgency order from here and stops at the page's end (the
# higher priority first within one deadline); assignee and case make the checks of the tab and the filters
# without reading the task row. Declared after the class: it names a column in descending order.
Index(
    "ix_task_open_urgent",
    HumanTask.due_at,
    HumanTask.priority.desc(),
    HumanTask.created_at,
    HumanTask.id,
    HumanTask.assignee,
    HumanTask.instance_id,
    sqlite_where=text("status = 'open'"),
    postgresql_where=text("status = 'open'"),
)


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
        # A repeating timer (timeCycle) keeps its task while it repeats: one row per repetition.
        UniqueConstraint("instance_id", "task_guid", "repetition", name="uq_timer_repetition"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_guid: Mapped[str] = mapped_column(String(36))
    repetition: Mapped[int] = mapped_column(default=0, server_default=text("0"))
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
    # A transient database error while firing (a lost connection, a deadlock, a locked database) is no
    # incident: a later round tries again, each time after a longer pause, not before `not_before`.
    retries: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    not_before: Mapped[datetime | None]
    # The last such error (its type and the start of its message) and when it happened, so the timer is
    # shown as retrying rather than plain overdue.
    last_error: Mapped[str | None] = mapped_column(String(300))
    last_error_at: Mapped[datetime | None]


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


class CaseNote(Base):
    """A note on a case (a comment thread with mentions): append-only. A note is never edited or
    deleted; the flush refuses either (engine.db.models.cases._refuse_changed_note)."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    author: Mapped[str] = mapped_column(String(100))
    written_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    # Whom the note names and who was told: {"users": [...], "groups": [...], "notified": [...]}.
    mentions: Mapped[dict[str, Any]]


class NoteIsFinal(HotlineError, RuntimeError):
    """Something tried to change or delete a note; notes are only ever added."""

    code = "note-final"


@event.listens_for(CaseNote, "before_update")
@event.listens_for(CaseNote, "before_delete")
def _refuse_changed_note(_mapper: Any, _connection: Any, note: CaseNote) -> None:
    raise NoteIsFinal(f"note {note.id} of case {note.instance_id} cannot be changed or deleted")


# What the KPI and report queries range over: cases by the day they were received, tasks by their
# deadline and by (element, completion time), for the callbacks that record satisfaction.
Index("ix_instance_opened", ProcessInstance.opened_at)
Index("ix_instance_source_opened", ProcessInstance.source, ProcessInstance.opened_at)
Index("ix_task_due", HumanTask.due_at)
Index("ix_task_element_completed", HumanTask.element_id, HumanTask.completed_at)


class CaseLink(Base):
    """Two cases tied together: `merged` (the case `instance_id` is a duplicate closed into `other_id`,
    which keeps its caller for the callback) or `related` (both stay open, each shows the other).
    Append-only like the history; a case is merged at most once (the partial unique index)."""

    __tablename__ = "case_link"
    __table_args__ = (
        UniqueConstraint("instance_id", "other_id", "kind"),
        Index("ix_case_link_other", "other_id", "kind"),
        Index(
            "ux_case_link_merged_once",
            "instance_id",
            unique=True,
            sqlite_where=text("kind = 'merged'"),
            postgresql_where=text("kind = 'merged'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    other_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    linked_by: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime]


class GroupAlert(Base):
    """A group alert (群体性诉求): many calls came from one building within the set window. Raised once
    per building and window: `window_start` is the start of the window `raised_at` falls in, and the
    unique constraint keeps two intakes at once from raising it twice."""

    __tablename__ = "group_alert"
    __table_args__ = (
        UniqueConstraint("building", "window_start"),
        Index("ix_group_alert_raised", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    building: Mapped[str] = mapped_column(String(300))
    window_start: Mapped[datetime]
    raised_at: Mapped[datetime]
    calls: Mapped[int] = mapped_column(Integer)
    # The call that reached the threshold.
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))


# The department assessment reads a month's chases (fired deadline timers) by kind and time.
# The department assessment's chases: the timers fired in a period (engine.supervision.department_assessment).
# Only those rows are in it: the index of every kind by time took a page write per kind of event a unit
# added. It still leads with the kind, so that SQLite's planner weighs it as an equality and a range.
Index(
    "ix_event_timer_fired_at",
    Event.kind,
    Event.at,
    sqlite_where=text("kind = 'timer_fired'"),
    postgresql_where=text("kind = 'timer_fired'"),
)
