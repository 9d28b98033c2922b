"""The database tables (SQLAlchemy 2.0), one module per area. Pages and reports read these projections,
never workflow state."""

from engine.db.models.base import Base, JSONType, UTCDateTime
from engine.db.models.cases import (
    SEARCHED_COLUMNS,
    Attachment,
    CaseCounter,
    Event,
    HumanTask,
    HumanTaskGroup,
    IntakeKey,
    ProcessInstance,
    Timer,
)
from engine.db.models.decisions import DecisionDefinition, DecisionDraft
from engine.db.models.knowledge import KnowledgeEntry, KnowledgeTerm, KnowledgeVersion
from engine.db.models.messages import Notice, NoticeRecipient, Notification
from engine.db.models.outbox import OutboxMessage
from engine.db.models.people import (
    AdminAudit,
    ApiClient,
    Customer,
    CustomerImport,
    InstallationSecret,
    PersonalDataAccess,
    SignInFailure,
    SignInSession,
    User,
    UserRole,
)
from engine.db.models.processes import ProcessAudit, ProcessDefinition, ProcessDraft
from engine.db.models.reference import Category, Department
from engine.db.models.supervision import CallbackSample, HandoverRecord, Report, WorkerHeartbeat

__all__ = [
    "UTCDateTime",
    "JSONType",
    "Base",
    "ProcessDefinition",
    "DecisionDefinition",
    "DecisionDraft",
    "ProcessDraft",
    "ProcessAudit",
    "SEARCHED_COLUMNS",
    "ProcessInstance",
    "HumanTask",
    "HumanTaskGroup",
    "Timer",
    "WorkerHeartbeat",
    "Event",
    "CaseCounter",
    "IntakeKey",
    "Attachment",
    "AdminAudit",
    "ApiClient",
    "User",
    "UserRole",
    "InstallationSecret",
    "PersonalDataAccess",
    "SignInFailure",
    "SignInSession",
    "Customer",
    "CustomerImport",
    "Department",
    "Category",
    "Notice",
    "KnowledgeEntry",
    "KnowledgeVersion",
    "KnowledgeTerm",
    "NoticeRecipient",
    "Notification",
    "OutboxMessage",
    "HandoverRecord",
    "Report",
    "CallbackSample",
]
