"""What staff do, as use cases: each takes plain values and a unit of work, does its reads and writes
through it and never commits; the caller (a web view, a CLI command, a job, a test) commits.

    with UnitOfWork(sessions, runtime) as uow:
        recorded = record_call(uow, "complaint", actor, form, intake_key)
        uow.commit()
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from engine.bpmn import FieldDef, FieldError, attachment_needed, parse_local_datetime
from engine.cases import (
    add_attachment,
    parsed_definition,
    pauses,
    restored_case_ids,
    runner,
    task_by_id,
    workable_task,
)
from engine.db import Attachment, CaseLink, CaseNote, HumanTask, Notice, ProcessInstance
from engine.errors import FormInvalid, NotAllowed, NotFound
from engine.people import is_confidential, register_caller
from engine.runtime import Actor
from engine.work import claims, group_alerts, merging, notes, task_drafts
from engine.work.dispatch import assign_dispatched, dispatch_problems
from engine.work.intake_keys import case_of_intake_key, record_intake_key
from engine.work.messages import mark_read
from engine.work.site_visit import claim_next_steps, one_tap_field
from engine.work.tasklist import case_by_number

if TYPE_CHECKING:
    # A use case is handed its unit of work; it never opens one.
    from engine.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RecordedCall:
    """The case a call opened; `first` is False when the form had been sent before and the case its
    first submission opened is returned instead of a second one."""

    instance: ProcessInstance
    first: bool = True


def record_call(
    uow: UnitOfWork,
    process_key: str,
    actor: Actor,
    form: Mapping[str, Any],
    intake_key: str | None = None,
) -> RecordedCall:
    """Open a case from an intake form: the case, the form's one-time key and the caller in the
    register. FormInvalid when the form has errors (nothing is written)."""
    if intake_key:
        earlier = case_of_intake_key(uow.session, intake_key)
        if earlier is not None:
            return RecordedCall(earlier, first=False)
    instance = runner.start_case(uow.session, uow.runtime, process_key, actor, dict(form))
    now = uow.clock.now()
    try:
        if intake_key:
            record_intake_key(uow.session, intake_key, instance.id, now)
        data = instance.data
        if not is_confidential(data):  # a confidential complainant stays out of the register (C7)
            register_caller(  # the account number carries the local day, as the case number does
                uow.session,
                data.get("customer_name"),
                data.get("customer_phone"),
                data.get("address"),
                now.astimezone(uow.runtime.zone),
            )
        uow.flush()
    except IntegrityError:
        # The same form was sent again while this one was being recorded, and that one was first:
        # its case stands, this one is thrown away.
        uow.rollback()
        earlier = case_of_intake_key(uow.session, intake_key) if intake_key else None
        if earlier is None:
            raise
        return RecordedCall(earlier, first=False)
    # 群体性诉求: this call may be the one that makes its building's calls many.
    group_alerts.alert_if_many_calls(
        uow.session, instance, uow.runtime.call_grouping, uow.runtime.messaging, now
    )
    return RecordedCall(instance)


def complete_task(uow: UnitOfWork, task_id: int, actor: Actor, values: Mapping[str, Any]) -> ProcessInstance:
    """Complete a task with the values its form sent; FormInvalid, Conflict or NotAllowed otherwise.
    A dispatch (a staffOf field, R2) names someone of the groups, a promise past the on-site limit has a
    reason (R3), and the case's next steps for those groups become the person's."""
    task = task_by_id(uow.session, task_id)
    info = parsed_definition(uow.runtime, task.instance.definition).user_tasks.get(task.element_id)
    dispatches = info is not None and any(f.staff_of or f.onsite_limit_reason for f in info.fields)
    errors: dict[str, FieldError] = {}
    if info is not None and dispatches:
        now, zone = uow.clock.now(), uow.runtime.zone
        errors |= dispatch_problems(uow.session, info, task.instance.data, values, now, zone)
    if info is not None:
        errors |= _missing_evidence(uow, task, info.fields, values)
    if errors:
        # with the form's own problems, so that all are shown at once
        field_errors = runner.form_problems(uow.session, uow.runtime, task.instance, task.element_id, values)
        raise FormInvalid(_together(field_errors, errors), values)
    instance = runner.complete_task(uow.session, uow.runtime, task_id, actor, dict(values))
    if info is not None and dispatches:
        assign_dispatched(uow.session, instance.id, info, values, actor, uow.clock.now())
    return instance


def _together(
    form_errors: Mapping[str, FieldError], errors: Mapping[str, FieldError]
) -> dict[str, FieldError]:
    """The form's own problems with the step's: a field that lacks both its value (a send-back's reason)
    and the file it needs says both at once, not one now and the other on the next try."""
    together = {**form_errors, **errors}
    for field_id in form_errors.keys() & errors.keys():
        if errors[field_id].code == "attachment_required":
            own = form_errors[field_id]
            together[field_id] = FieldError("and_attachment_required", {**own.params, "own": own.code})
    return together


def _missing_evidence(
    uow: UnitOfWork, task: HumanTask, fields: tuple[FieldDef, ...], values: Mapping[str, Any]
) -> dict[str, FieldError]:
    """A field with attachmentRequiredWhen whose condition the values meet needs a file attached at this
    step (the evidence of a send-back, C4): the error of each such field while none is."""
    needing = attachment_needed(fields, values)
    if not needing:
        return {}
    attached = uow.session.scalar(
        select(func.count()).select_from(Attachment).where(Attachment.task_id == task.id)
    )
    return {} if attached else {field_id: FieldError("attachment_required") for field_id in needing}


@dataclass(frozen=True)
class SiteArrival:
    instance: ProcessInstance
    task_name: str
    recorded_at: str  # the local time written into the step's field, as YYYY-MM-DDTHH:MM


def arrive_on_site(uow: UnitOfWork, task_id: int, actor: Actor) -> SiteArrival:
    """Record now in a step that asks only for a time (arrived, done), then claim the case's next
    steps for the worker: the job is theirs from the moment they are there."""
    task = task_by_id(uow.session, task_id)
    field_id = one_tap_field(uow.runtime, task)
    if field_id is None:
        raise NotAllowed(f"step '{task.name}' asks for more than a time")
    local_now = uow.clock.now().astimezone(uow.runtime.zone).strftime("%Y-%m-%dT%H:%M")
    task_name = task.name
    instance = runner.complete_task(uow.session, uow.runtime, task_id, actor, {field_id: local_now})
    claim_next_steps(uow.session, uow.runtime, instance.id, actor)
    return SiteArrival(instance, task_name, local_now)


def claim_task(uow: UnitOfWork, task_id: int, actor: Actor) -> HumanTask:
    return claims.claim_task(uow.session, task_id, actor, uow.clock.now())


def release_task(uow: UnitOfWork, task_id: int, actor: Actor) -> HumanTask:
    return claims.release_task(uow.session, task_id, actor, uow.clock.now())


def reassign_task(uow: UnitOfWork, task_id: int, supervisor: Actor, username: str, reason: str) -> HumanTask:
    """A supervisor hands a task to a person; FormInvalid without a reason."""
    return claims.reassign_task(uow.session, task_id, supervisor, username, uow.clock.now(), reason)


def hand_task_to_group(
    uow: UnitOfWork, task_id: int, supervisor: Actor, group: str, reason: str
) -> HumanTask:
    """A supervisor sends a task to another group; FormInvalid without a reason or for an empty group."""
    return claims.hand_task_to_group(uow.session, task_id, supervisor, group, uow.clock.now(), reason)


def save_task_draft(uow: UnitOfWork, task_id: int, actor: Actor, submitted: Mapping[str, Any]) -> HumanTask:
    """Keep what was typed in a task's form without completing it."""
    task = workable_task(uow.session, task_id, actor)
    info = parsed_definition(uow.runtime, task.instance.definition).user_tasks.get(task.element_id)
    # A signature is drawn with the customer present and sent with the report, never kept in a draft.
    field_ids = {f.id for f in info.fields if f.type != "signature"} if info else set()
    return task_drafts.save_draft(uow.session, task_id, actor, submitted, field_ids, uow.clock.now())


def attach_file(uow: UnitOfWork, task_id: int, file_name: str, data: bytes, username: str) -> Attachment:
    """A file (a photo from site, a scan) attached to a task's case; AttachmentRefused when it may not be."""
    task = task_by_id(uow.session, task_id)
    folder = uow.runtime.attachment_folder
    if folder is None:
        raise RuntimeError("the runtime has no attachment folder")
    return add_attachment(
        uow.session, folder, task.instance_id, task.id, file_name, data, username, uow.clock.now()
    )


def write_note(uow: UnitOfWork, case_number: str, actor: Actor, text: str) -> CaseNote:
    """A note on a case (engine.work.notes): NotFound for an unknown case, NoteRefused for a text that
    cannot be kept. Whoever may read the case may write on it; the caller checks that."""
    instance = case_by_number(uow.session, case_number)
    if instance is None:
        raise NotFound(f"no case {case_number}")
    return notes.add_note(uow.session, instance, actor, text, uow.clock.now())


def mark_notifications_read(uow: UnitOfWork, username: str, notification_id: int | None = None) -> int:
    """One message read, or all of them when no id is given; returns how many changed."""
    return mark_read(uow.session, username, uow.clock.now(), notification_id)


def pause_task(
    uow: UnitOfWork, task_id: int, actor: Actor, reason: str, note: str = "", resume_at: str = ""
) -> HumanTask:
    """Pause a task's clock with a reason from the list (engine.cases.pauses); `resume_at` as the browser
    sends a local date and time, or empty. FormInvalid for bad input; Conflict if someone was quicker."""
    moment = None
    if resume_at.strip():
        try:
            moment = parse_local_datetime(resume_at, uow.runtime.zone)
        except ValueError:
            errors = pauses.pause_problems(reason, note, None, uow.clock.now())
            errors["resume_at"] = FieldError("not_datetime")
            raise FormInvalid(errors, {"reason": reason, "note": note}) from None
    return pauses.pause_task(uow.session, uow.runtime, task_id, actor, reason, note, moment)


def resume_task(uow: UnitOfWork, task_id: int, actor: Actor) -> HumanTask:
    """Resume a paused task's clock; its deadline moves by the working time it was paused."""
    return pauses.resume_task(uow.session, uow.runtime, task_id, actor)


def _case(uow: UnitOfWork, case_number: str) -> ProcessInstance:
    instance = case_by_number(uow.session, case_number)
    if instance is None:
        raise NotFound(f"no case {case_number}")
    return instance


def merge_cases(
    uow: UnitOfWork, duplicate_number: str, survivor_number: str, actor: Actor, reason: str
) -> CaseLink:
    """Close one case into another (engine.work.merging): NotFound, LinkRefused or Conflict otherwise.
    The caller checks that the actor may read both cases."""
    duplicate, survivor = _case(uow, duplicate_number), _case(uow, survivor_number)
    return merging.merge_case(uow.session, duplicate, survivor, actor, reason, uow.clock.now())


def record_duplicate_call(
    uow: UnitOfWork,
    process_key: str,
    actor: Actor,
    form: Mapping[str, Any],
    intake_key: str | None,
    survivor_number: str,
    reason: str,
) -> RecordedCall:
    """A call about a matter an open case already follows: the call is recorded as a case (its caller
    kept for the callback) and merged into that case at once, in one unit of work."""
    survivor = _case(uow, survivor_number)
    recorded = record_call(uow, process_key, actor, form, intake_key)
    if recorded.first:
        merging.merge_case(uow.session, recorded.instance, survivor, actor, reason, uow.clock.now())
    return recorded


def link_related(uow: UnitOfWork, first_number: str, second_number: str, actor: Actor, reason: str) -> bool:
    """Note two cases as related; False when they were already."""
    first, second = _case(uow, first_number), _case(uow, second_number)
    return merging.link_cases(uow.session, first, second, actor, reason, uow.clock.now()) is not None


def count_outage_call(uow: UnitOfWork, outage_number: str, actor: Actor, address: str, said: str) -> int:
    """A call about an outage going on now, counted on the outage's case instead of opening a repair;
    LinkRefused when the case announced no current outage. Returns the outage's count of calls."""
    outage = _case(uow, outage_number)
    announced = uow.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.instance_id == outage.id)
    )
    if not announced or restored_case_ids(uow.session, [outage.id]):
        raise merging.LinkRefused("not an outage", code="link-not-an-outage", params={"case": outage_number})
    return merging.record_outage_call(uow.session, outage, actor, address, said, uow.clock.now())
