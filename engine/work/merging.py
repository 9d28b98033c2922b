"""Merging and linking cases (并单), and calls about an announced outage.

A duplicate merged into an earlier case is closed with a reason (status `merged`), never deleted (C7):
its open tasks and waiting deadlines are cancelled, both cases get a history event naming the other,
and the surviving case lists the duplicate's caller for the callback. A case is merged once: the
partial unique index of `case_link` and the case rows' versions, taken under the case lock, make a
second or concurrent merge a Conflict. Linking (`related`) ties two open cases without closing either.
A call about an outage already announced is counted on the outage's case instead of opening a repair.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import control_character_error
from engine.cases import take_case
from engine.db import CaseLink, Event, HumanTask, ProcessInstance, Timer
from engine.errors import Conflict, HotlineError
from engine.messages import N_
from engine.runtime import Actor
from engine.work.duplicates import building_of

MERGED = "merged"
RELATED = "related"
MERGED_STATUS = "merged"
OUTAGE_CALL = "outage_call"
# Who merges and links cases: the operator who takes the calls and the supervisors.
MERGING_ROLES = frozenset({"operator", "supervisor"})
MAX_REASON_LENGTH = 500


class LinkRefused(HotlineError, ValueError):
    """A merge or link that makes no sense whatever anyone else does (the request is refused)."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        "link-same-case": N_("A case cannot be merged into or linked with itself."),
        "link-reason-missing": N_("Say why the cases belong together."),
        "link-reason-too-long": N_("A reason may be at most %(max)s characters long."),
        "link-reason-control-character": N_(
            "The reason holds a control character (%(code)s) that cannot be kept; retype it."
        ),
        "link-not-an-outage": N_("Case %(case)s announced no outage that is still going on."),
        "link-not-allowed": N_("Only operators and supervisors merge or link cases."),
    }


def _checked_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise LinkRefused("no reason", code="link-reason-missing")
    if len(reason) > MAX_REASON_LENGTH:
        raise LinkRefused("reason too long", code="link-reason-too-long", params={"max": MAX_REASON_LENGTH})
    problem = control_character_error(reason)
    if problem is not None:
        raise LinkRefused(
            "control character", code="link-reason-control-character", params=dict(problem.params)
        )
    return reason


def _check_actor(actor: Actor) -> None:
    if not actor.groups & MERGING_ROLES:
        raise LinkRefused("not allowed", code="link-not-allowed")


def merged_into(session: Session, instance_id: int) -> ProcessInstance | None:
    return session.scalar(
        select(ProcessInstance)
        .join(CaseLink, CaseLink.other_id == ProcessInstance.id)
        .where(CaseLink.instance_id == instance_id, CaseLink.kind == MERGED)
    )


def _take_both(session: Session, first: ProcessInstance, second: ProcessInstance) -> None:
    # Always in the order of their ids, so two merges of the same pair wait for each other, never deadlock.
    for instance in sorted((first, second), key=lambda i: i.id):
        take_case(session, instance)


def merge_case(
    session: Session,
    duplicate: ProcessInstance,
    survivor: ProcessInstance,
    actor: Actor,
    reason: str,
    now: datetime,
) -> CaseLink:
    """Close `duplicate` into `survivor`: LinkRefused for a bad request, Conflict when either case is no
    longer open (merged or closed meanwhile) or was changed since it was read."""
    _check_actor(actor)
    reason = _checked_reason(reason)
    if duplicate.id == survivor.id:
        raise LinkRefused("same case", code="link-same-case")
    _take_both(session, duplicate, survivor)
    if duplicate.status == MERGED_STATUS:
        into = merged_into(session, duplicate.id)
        raise Conflict(
            "merged already",
            "merged_already",
            case=duplicate.case_number,
            into=into.case_number if into else "?",
        )
    for instance in (duplicate, survivor):
        if instance.status != "running":
            raise Conflict("not open", "not_open", case=instance.case_number)
    session.execute(
        update(HumanTask)
        .where(HumanTask.instance_id == duplicate.id, HumanTask.status == "open")
        .values(status="cancelled", completed_at=now, completed_by=actor.username)
    )
    session.execute(
        update(Timer)
        .where(Timer.instance_id == duplicate.id, Timer.fired_at.is_(None))
        .values(status="cancelled", fired_at=now)
    )
    duplicate.status, duplicate.closed_at, duplicate.updated_at = MERGED_STATUS, now, now
    duplicate.current_step = None
    duplicate.version += 1
    survivor.updated_at = now
    survivor.version += 1
    link = CaseLink(
        instance_id=duplicate.id,
        other_id=survivor.id,
        kind=MERGED,
        reason=reason,
        linked_by=actor.username,
        linked_at=now,
    )
    session.add(link)
    session.add_all(
        [
            Event(
                instance_id=duplicate.id,
                at=now,
                actor=actor.username,
                kind="case_merged",
                changes={"merged_into": [None, survivor.case_number], "reason": [None, reason]},
            ),
            Event(
                instance_id=survivor.id,
                at=now,
                actor=actor.username,
                kind="duplicate_merged",
                changes={"duplicate": [None, duplicate.case_number], "reason": [None, reason]},
            ),
        ]
    )
    try:
        session.flush()
    except IntegrityError as err:  # the case lock makes this unlikely; the index makes it impossible
        raise Conflict("merged already", "merged_already", case=duplicate.case_number, into="?") from err
    return link


def link_cases(
    session: Session,
    first: ProcessInstance,
    second: ProcessInstance,
    actor: Actor,
    reason: str,
    now: datetime,
) -> CaseLink | None:
    """Note that two cases are related (both stay as they are); None when they were linked already."""
    _check_actor(actor)
    reason = _checked_reason(reason)
    if first.id == second.id:
        raise LinkRefused("same case", code="link-same-case")
    low, high = sorted((first, second), key=lambda i: i.id)
    known = session.scalar(
        select(CaseLink.id).where(
            CaseLink.instance_id == low.id, CaseLink.other_id == high.id, CaseLink.kind == RELATED
        )
    )
    if known is not None:
        return None
    link = CaseLink(
        instance_id=low.id,
        other_id=high.id,
        kind=RELATED,
        reason=reason,
        linked_by=actor.username,
        linked_at=now,
    )
    session.add(link)
    for instance, other in ((low, high), (high, low)):
        session.add(
            Event(
                instance_id=instance.id,
                at=now,
                actor=actor.username,
                kind="case_linked",
                changes={"related": [None, other.case_number], "reason": [None, reason]},
            )
        )
    try:
        session.flush()
    except IntegrityError as err:  # linked at the same moment by someone else
        raise Conflict("linked meanwhile", "changed", case=first.case_number) from err
    return link


@dataclass(frozen=True)
class CaseLinks:
    """What a case page shows of a case's links: where it was merged, what was merged into it (their
    callers are this case's callers too), and its related cases."""

    merged_into: ProcessInstance | None
    merged_here: tuple[ProcessInstance, ...]
    related: tuple[ProcessInstance, ...]


def links_of(session: Session, instance_id: int) -> CaseLinks:
    rows = session.execute(
        select(CaseLink.kind, CaseLink.instance_id, CaseLink.other_id).where(
            or_(CaseLink.instance_id == instance_id, CaseLink.other_id == instance_id)
        )
    ).all()
    ids = {i for _kind, a, b in rows for i in (a, b)} - {instance_id}
    cases = {c.id: c for c in session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids)))}
    into = next((cases[b] for kind, a, b in rows if kind == MERGED and a == instance_id), None)
    here = tuple(
        sorted((cases[a] for kind, a, b in rows if kind == MERGED and b == instance_id), key=lambda c: c.id)
    )
    related = tuple(
        sorted(
            (cases[b if a == instance_id else a] for kind, a, b in rows if kind == RELATED),
            key=lambda c: c.id,
        )
    )
    return CaseLinks(into, here, related)


def record_outage_call(
    session: Session, outage: ProcessInstance, actor: Actor, address: str, what: str, now: datetime
) -> int:
    """A call about this outage, counted on the outage's case (its building and what was said, not who
    called); returns the outage's count of calls."""
    _check_actor(actor)
    what = (what or "").strip()[:MAX_REASON_LENGTH]
    if what and control_character_error(what) is not None:
        what = ""
    session.add(
        Event(
            instance_id=outage.id,
            at=now,
            actor=actor.username,
            kind=OUTAGE_CALL,
            changes={"building": [None, building_of(address)], "said": [None, what]},
        )
    )
    session.flush()
    return outage_call_count(session, outage.id)


def outage_call_count(session: Session, instance_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.instance_id == instance_id, Event.kind == OUTAGE_CALL)
        )
        or 0
    )
