"""The API's request and response bodies (marshmallow), from which the OpenAPI document is made."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from engine.messaging import WEBHOOK_EVENTS
from webforms.request_checks import FIRST_YEAR, LAST_YEAR

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> None:
    if _CONTROL.search(value):
        raise ma.ValidationError("Control characters (such as NUL) cannot be used.")


def Text(**kwargs: Any) -> fields.String:  # noqa: N802 - used like the field classes
    """A string query parameter or value: at most 100 characters, no control character."""
    return fields.String(
        validate=[validate.Length(max=kwargs.pop("max_length", 100)), _no_control_characters], **kwargs
    )


def _within_years(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ma.ValidationError(f"Give a day between the years {FIRST_YEAR} and {LAST_YEAR}.")


def _plain_values(values: dict[str, Any]) -> None:
    """A form's values are text, numbers, true/false or null, as a form would send them."""
    refused = {key: "Give text, a number, true/false or null." for key, value in values.items()}
    refused = {
        key: message
        for key, message in refused.items()
        if values[key] is not None and not isinstance(values[key], str | int | float | bool)
    }
    if refused:
        raise ma.ValidationError(refused)


class Schema(ma.Schema):
    class Meta:
        ordered = True


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(metadata={"description": "about:blank: the status says what kind of problem"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    code = fields.String(metadata={"description": "The engine's code for the problem, stable"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "A refused value's field and what is wrong with it"},
    )


class OptionSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()


class FormFieldSchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "string, long, boolean, date, enum, …"})
    label = fields.String(required=True)
    label_en = fields.String()
    required = fields.Boolean()
    readonly = fields.Boolean()
    default = fields.String()
    min_length = fields.Integer(
        allow_none=True,
        metadata={"description": "The shortest value taken; a Chinese character counts as two"},
    )
    max_length = fields.Integer(allow_none=True)
    min_value = fields.Integer(allow_none=True)
    max_value = fields.Integer(allow_none=True)
    pattern = fields.String(allow_none=True)
    personal = fields.String(metadata={"description": "The kind of personal data the field holds, if any"})
    options = fields.List(fields.Nested(OptionSchema))


class ProcedureSchema(Schema):
    key = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    description = fields.String()
    groups = fields.List(fields.String(), metadata={"description": "Who may open a case of it"})


class StartFormSchema(Schema):
    procedure = fields.String(required=True)
    name = fields.String(required=True)
    name_en = fields.String()
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")


class OpenCaseSchema(Schema):
    procedure = fields.String(
        required=True, validate=[validate.Length(min=1, max=100), _no_control_characters]
    )
    values = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=_plain_values,
        metadata={"description": "The start form's values by field id, as the intake page sends them"},
    )
    intake_key = fields.String(
        validate=validate.Regexp(r"^[A-Za-z0-9_-]{16,64}$"),
        metadata={
            "description": "A key of your own for this call: sending the same one again returns the case "
            "it opened instead of opening a second one"
        },
    )


class CaseSummarySchema(Schema):
    number = fields.String(required=True)
    procedure = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "Changes with every step: the ETag"})
    category = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    priority = fields.String(allow_none=True)
    customer_name = fields.String(allow_none=True)
    customer_phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    current_step = fields.String(allow_none=True)
    opened_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)


class OpenedCaseSchema(CaseSummarySchema):
    first = fields.Boolean(
        required=True, metadata={"description": "False when the intake key had opened this case before"}
    )


class ChangeSchema(Schema):
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)


class EventSchema(Schema):
    at = fields.DateTime(required=True)
    actor = fields.String(required=True)
    kind = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(ChangeSchema))


class DeadlineSchema(Schema):
    kind = fields.String(required=True, metadata={"description": "task or timer"})
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    due_at = fields.DateTime(required=True)
    done_at = fields.DateTime(allow_none=True)
    status = fields.String(required=True)
    late_by_seconds = fields.Integer(required=True)


class TaskSummarySchema(Schema):
    id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    procedure = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)
    status = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)


class CaseSchema(CaseSummarySchema):
    data = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))
    open_tasks = fields.List(fields.Nested(TaskSummarySchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    history = fields.List(fields.Nested(EventSchema))


class CasePageSchema(Schema):
    items = fields.List(fields.Nested(CaseSummarySchema), required=True)
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Send as `cursor` for the next page"}
    )


class TaskSchema(TaskSummarySchema):
    case_version = fields.Integer(required=True, metadata={"description": "Send as If-Match to complete"})
    fields_ = fields.List(fields.Nested(FormFieldSchema), data_key="fields", attribute="fields")
    values = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSummarySchema), required=True)
    next_cursor = fields.String(allow_none=True)


class CompleteTaskSchema(Schema):
    values = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=_plain_values,
        metadata={"description": "The task form's values by field id"},
    )


class NoticeSchema(Schema):
    id = fields.Integer(required=True)
    case_number = fields.String(required=True)
    kind = fields.String(required=True, metadata={"description": "outage or restoration"})
    service = fields.String()
    outage_type = fields.String()
    district = fields.String()
    building = fields.String()
    unit = fields.String()
    cause = fields.String()
    starts_at = fields.DateTime(allow_none=True)
    estimated_restore_at = fields.DateTime(allow_none=True)
    restored_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(required=True)


class CustomerSchema(Schema):
    account_no = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True)
    address = fields.String()
    district = fields.String()
    building = fields.String()
    unit = fields.String()
    room = fields.String()
    service = fields.String()


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))
    cursor = fields.String(validate=validate.Length(max=200))


class CaseSearchArgs(PageArgs):
    number = Text()
    customer = Text(metadata={"description": "Roles that see personal data only"})
    phone = Text(metadata={"description": "Roles that see personal data only"})
    address = Text(metadata={"description": "Roles that see personal data only"})
    procedure = Text()
    category = Text()
    department = Text()
    status = fields.String(validate=validate.OneOf(["running", "completed"]))
    overdue = fields.Boolean()
    opened_from = fields.Date(validate=_within_years, metadata={"description": "A local day, YYYY-MM-DD"})
    opened_to = fields.Date(
        validate=_within_years, metadata={"description": "A local day, YYYY-MM-DD (inclusive)"}
    )
    sort = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))


class TaskListArgs(PageArgs):
    tab = fields.String(load_default="todo", validate=validate.OneOf(["todo", "mine", "group", "all"]))
    group = Text(metadata={"description": "Only this one of the client's groups (its role or a department)"})
    procedure = Text()
    category = Text()
    department = Text()
    due = fields.String(validate=validate.OneOf(["overdue", "today"]))
    q = Text(metadata={"description": "Case number, or for roles that see personal data the customer"})


class CustomerLookupArgs(Schema):
    q = Text(required=True, metadata={"description": "A name, phone number, account number or address"})


# --- external tasks --------------------------------------------------------------------------------

_WORKER = {"required": True, "metadata": {"description": "The worker's own id; its locks are its own"}}


class TopicSchema(Schema):
    topic_name = Text(required=True, data_key="topicName")
    lock_duration = fields.Integer(
        required=True,
        data_key="lockDuration",
        validate=validate.Range(min=1000, max=86_400_000),
        metadata={"description": "How long the lock holds, in milliseconds (1 s to 1 day)"},
    )
    variables = fields.List(
        Text(),
        validate=validate.Length(max=100),
        metadata={"description": "Only these case variables (all when absent)"},
    )


class FetchAndLockSchema(Schema):
    worker_id = Text(data_key="workerId", **_WORKER)
    max_tasks = fields.Integer(data_key="maxTasks", load_default=1, validate=validate.Range(min=1, max=100))
    topics = fields.List(fields.Nested(TopicSchema), required=True, validate=validate.Length(min=1, max=20))


class LockedTaskSchema(Schema):
    id = fields.Integer(required=True)
    topic_name = fields.String(required=True, data_key="topicName")
    activity_id = fields.String(required=True, data_key="activityId")
    activity_name = fields.String(required=True, data_key="activityName")
    case_number = fields.String(required=True, data_key="caseNumber")
    process_key = fields.String(required=True, data_key="processDefinitionKey")
    worker_id = fields.String(required=True, data_key="workerId")
    lock_expiration_time = fields.DateTime(required=True, data_key="lockExpirationTime")
    retries = fields.Integer(allow_none=True)
    error_message = fields.String(allow_none=True, data_key="errorMessage")
    variables = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True))


class WorkerCallSchema(Schema):
    """A worker's call on a task it locked: its worker id, and what the call adds."""

    worker_id = Text(data_key="workerId", **_WORKER)


class UnlockSchema(WorkerCallSchema):
    pass


class CompleteExternalSchema(WorkerCallSchema):
    variables = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=_plain_values,
        metadata={"description": "Case variables to set: text, numbers, true/false or null"},
    )


class FailureSchema(WorkerCallSchema):
    error_message = Text(data_key="errorMessage", required=True, max_length=500)
    error_details = fields.String(
        data_key="errorDetails", load_default="", validate=validate.Length(max=20_000)
    )
    retries = fields.Integer(
        validate=validate.Range(min=0, max=1000),
        metadata={"description": "Tries left; absent: the element's failedJobRetryTimeCycle decides"},
    )
    retry_timeout = fields.Integer(
        data_key="retryTimeout",
        validate=validate.Range(min=0, max=86_400_000 * 7),
        metadata={"description": "Milliseconds before the next try; absent: the retry cycle's pause"},
    )


class ExtendLockSchema(WorkerCallSchema):
    new_duration = fields.Integer(
        data_key="newDuration",
        required=True,
        validate=validate.Range(min=1000, max=86_400_000),
        metadata={"description": "The lock's new length from now, in milliseconds"},
    )


class ExternalTaskStateSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    retries = fields.Integer(allow_none=True)
    lock_expiration_time = fields.DateTime(allow_none=True, data_key="lockExpirationTime")
    case_number = fields.String(data_key="caseNumber")
    case_status = fields.String(data_key="caseStatus")


# --- messages and signals --------------------------------------------------------------------------


class MessageSchema(Schema):
    message_name = Text(data_key="messageName", required=True, max_length=200)
    case_number = Text(data_key="caseNumber", metadata={"description": "The case, by its number"})
    correlation_keys = fields.Dict(
        data_key="correlationKeys",
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=_plain_values,
        metadata={"description": "Values the case data must hold (account: A1), with or without caseNumber"},
    )
    variables = fields.Dict(
        keys=fields.String(validate=validate.Length(max=100)),
        values=fields.Raw(allow_none=True),
        load_default=dict,
        validate=_plain_values,
        metadata={"description": "Case variables to set: text, numbers, true/false or null"},
    )


class MessageResultSchema(Schema):
    case_number = fields.String(required=True, data_key="caseNumber")
    case_status = fields.String(required=True, data_key="caseStatus")


class SignalSchema(Schema):
    name = Text(required=True, max_length=200)


class SignalResultSchema(Schema):
    case_numbers = fields.List(fields.String(), required=True, data_key="caseNumbers")


class NewWebhookSchema(Schema):
    url = Text(
        required=True,
        max_length=500,
        metadata={"description": "Where deliveries are POSTed: an http:// or https:// address"},
    )
    events = fields.List(
        fields.String(validate=validate.OneOf(WEBHOOK_EVENTS)),
        required=True,
        validate=validate.Length(min=1, max=len(WEBHOOK_EVENTS)),
        metadata={"description": "The events to deliver"},
    )


class WebhookSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    events = fields.List(fields.String(), required=True)
    paused = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True, data_key="createdAt")


class NewWebhookResultSchema(WebhookSchema):
    secret = fields.String(
        required=True,
        metadata={
            "description": "Signs every delivery (X-Hotline-Signature, docs/api.md); shown only this once"
        },
    )


class WebhookDeliverySchema(Schema):
    id = fields.String(required=True, metadata={"description": "The delivery id (X-Hotline-Delivery)"})
    event = fields.String(required=True)
    case_number = fields.String(allow_none=True, data_key="caseNumber")
    created_at = fields.DateTime(required=True, data_key="createdAt")
    status = fields.String(required=True, metadata={"description": "pending, sending, sent or failed"})
    attempts = fields.Integer(required=True)
    attempted_at = fields.DateTime(allow_none=True, data_key="attemptedAt")
    response_code = fields.Integer(allow_none=True, data_key="responseCode")
    response_excerpt = fields.String(
        required=True,
        data_key="responseExcerpt",
        metadata={"description": "The answer's first 500 characters"},
    )
    error = fields.String(required=True)
