"""The database: tables by area (models/), sessions and their SQLite settings, the schema and its
Alembic migrations.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.db.like import ESCAPE, containing, starting_with
from engine.db.models import (
    AdminAudit,
    Attachment,
    CallbackSample,
    CaseCounter,
    Category,
    Customer,
    CustomerImport,
    Department,
    Event,
    HandoverRecord,
    HumanTask,
    HumanTaskGroup,
    IntakeKey,
    Notice,
    NoticeRecipient,
    Notification,
    PersonalDataAccess,
    ProcessAudit,
    ProcessDefinition,
    ProcessDraft,
    ProcessInstance,
    Report,
    SignInFailure,
    SignInSession,
    Timer,
    User,
    UserRole,
    WorkerHeartbeat,
)
from engine.db.results import rows_matched
from engine.db.schema import migrations_behind, upgrade
from engine.db.session import (
    DURABILITY_LEVELS,
    NO_WAIT_OPTION,
    READ_ONLY_OPTION,
    after_commit,
    make_engine,
    make_session_factory,
)
from engine.db.transient import is_transient

__all__ = [
    "AdminAudit",
    "DURABILITY_LEVELS",
    "Attachment",
    "CallbackSample",
    "CaseCounter",
    "Category",
    "Customer",
    "CustomerImport",
    "Department",
    "ESCAPE",
    "Event",
    "HandoverRecord",
    "HumanTask",
    "HumanTaskGroup",
    "IntakeKey",
    "Notice",
    "NO_WAIT_OPTION",
    "NoticeRecipient",
    "Notification",
    "PersonalDataAccess",
    "ProcessAudit",
    "ProcessDefinition",
    "ProcessDraft",
    "ProcessInstance",
    "READ_ONLY_OPTION",
    "Report",
    "SignInFailure",
    "SignInSession",
    "Timer",
    "User",
    "UserRole",
    "WorkerHeartbeat",
    "after_commit",
    "containing",
    "is_transient",
    "make_engine",
    "make_session_factory",
    "rows_matched",
    "starting_with",
    "migrations_behind",
    "upgrade",
]
