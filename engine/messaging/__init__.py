"""Messages that leave the building: the durable outbox (written in the deciding step's transaction),
the sender that claims and sends them, and the gateways — SMTP e-mail, a generic HTTP SMS gateway,
Tencent Cloud SMS. See docs/operations.md for the settings."""

from engine.messaging.decisions import (
    StaffContact,
    customer_channel,
    queue_chases,
    queue_consultation_reply,
    queue_group_alert,
    queue_notice_messages,
    queue_urgent_reports,
    reply_address,
    staff_channel,
    staff_contacts,
)
from engine.messaging.gateways import Gateway, Outgoing, SendFailed
from engine.messaging.http_sms import HttpSmsGateway, HttpSmsSettings
from engine.messaging.outbox import (
    MAX_ATTEMPTS,
    NewMessage,
    claim_due_messages,
    mark_sending,
    queue_messages,
    record_failure,
    record_receipt,
    record_sent,
    retry_message,
    settle_stalled,
)
from engine.messaging.progress import FailedMessage, SendingProgress, failed_messages, sending_progress
from engine.messaging.quiet_hours import customer_sms_not_before, held_until
from engine.messaging.sending import Round, Throttle, send_due_messages
from engine.messaging.smtp import SmtpGateway, SmtpSettings, compose_email
from engine.messaging.templates import (
    TemplateInvalid,
    TemplateVersion,
    preview_params,
    reset_wording,
    save_wording,
    shipped_wording,
    template_versions,
    wording_problems,
    wordings,
)
from engine.messaging.tencent_sms import TencentSmsGateway, TencentSmsSettings, tc3_signature
from engine.messaging.texts import OutageFacts
from engine.messaging.texts.composed import Wording
from engine.messaging.texts.kinds import KINDS, LANGUAGES, MessageKind, compose_kind
from engine.messaging.texts.template_language import PROBLEMS, SmsLength, TemplateProblem, render, sms_length
from engine.messaging.use_cases import Receipt, record_delivery_receipts, retry_failed_message

__all__ = [
    "KINDS",
    "LANGUAGES",
    "MessageKind",
    "PROBLEMS",
    "TemplateProblem",
    "SmsLength",
    "TemplateInvalid",
    "TemplateVersion",
    "Wording",
    "compose_kind",
    "preview_params",
    "render",
    "reset_wording",
    "save_wording",
    "shipped_wording",
    "sms_length",
    "template_versions",
    "wording_problems",
    "wordings",
    "MAX_ATTEMPTS",
    "FailedMessage",
    "Gateway",
    "HttpSmsGateway",
    "HttpSmsSettings",
    "NewMessage",
    "OutageFacts",
    "Outgoing",
    "Receipt",
    "Round",
    "SendFailed",
    "SendingProgress",
    "SmtpGateway",
    "SmtpSettings",
    "StaffContact",
    "TencentSmsGateway",
    "TencentSmsSettings",
    "Throttle",
    "claim_due_messages",
    "compose_email",
    "customer_channel",
    "customer_sms_not_before",
    "failed_messages",
    "held_until",
    "mark_sending",
    "queue_chases",
    "queue_group_alert",
    "queue_consultation_reply",
    "reply_address",
    "queue_messages",
    "queue_notice_messages",
    "queue_urgent_reports",
    "record_delivery_receipts",
    "record_failure",
    "record_receipt",
    "record_sent",
    "retry_failed_message",
    "retry_message",
    "send_due_messages",
    "sending_progress",
    "settle_stalled",
    "staff_channel",
    "staff_contacts",
    "tc3_signature",
]
