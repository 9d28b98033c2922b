"""The database tables (SQLAlchemy 2.0), one module per area. Pages and reports read these projections,
never workflow state."""

from engine.db.models.base import Base, JSONType, UTCDateTime
from engine.db.models.cases import (
    SEARCHED_COLUMNS,
    Attachment,
    CaseCounter,
    CaseLink,
    CaseNote,
    Event,
    GroupAlert,
    HumanTask,
    HumanTaskGroup,
    IntakeKey,
    NoteIsFinal,
    ProcessInstance,
    Timer,
)
from engine.db.models.deadlines import DeadlineStep
from engine.db.models.decisions import DecisionDefinition, DecisionDraft
from engine.db.models.external import CaseCallRow, EventSubscription, ExternalTaskRow
from engine.db.models.knowledge import KnowledgeEntry, KnowledgeTerm, KnowledgeVersion
from engine.db.models.messages import Notice, NoticeRecipient, Notification
from engine.db.models.outbox import MessageTemplate, OutboxMessage
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
from engine.db.models.public import TrackLookup
from engine.db.models.reference import CaseSource, Category, Department
from engine.db.models.supervision import (
    AssessmentWeight,
    CallbackSample,
    HandoverRecord,
    Report,
    ReportRecipient,
    WorkerHeartbeat,
)
from engine.db.models.webhooks import PlatformEndpoint, WebhookDelivery, WebhookSubscription

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
    "DeadlineStep",
    "ExternalTaskRow",
    "CaseCallRow",
    "EventSubscription",
    "WorkerHeartbeat",
    "AssessmentWeight",
    "Event",
    "CaseCounter",
    "IntakeKey",
    "Attachment",
    "CaseLink",
    "CaseNote",
    "GroupAlert",
    "NoteIsFinal",
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
    "CaseSource",
    "TrackLookup",
    "Notice",
    "KnowledgeEntry",
    "KnowledgeVersion",
    "KnowledgeTerm",
    "NoticeRecipient",
    "Notification",
    "OutboxMessage",
    "PlatformEndpoint",
    "WebhookDelivery",
    "WebhookSubscription",
    "MessageTemplate",
    "HandoverRecord",
    "Report",
    "ReportRecipient",
    "CallbackSample",
]
