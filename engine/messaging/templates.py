"""An administrator's wording of each message kind (item 4 of the outbox): versions kept with who saved
them and when, checked before they are kept, a preview filled from a real recent case, and a way back to
the shipped text. The composers take the wording in force (`wordings`) in place of the shipped text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.db import HumanTask, MessageTemplate, Notice, ProcessInstance
from engine.errors import Conflict, HotlineError, NotFound
from engine.messages import N_, Translate, say
from engine.messaging.texts.composed import Wording
from engine.messaging.texts.kinds import KINDS, LANGUAGES
from engine.messaging.texts.outage import OutageFacts, compose_outage
from engine.messaging.texts.template_language import TemplateProblem, from_shipped, template_problems

if TYPE_CHECKING:
    from engine.unit_of_work import UnitOfWork

_SUMMARY = N_("Cases opened in the 7 days: %(opened)s; closed: %(closed)s.")


@dataclass(frozen=True)
class TemplateVersion:
    kind: str
    language: str
    version: int
    subject: str
    text: str
    shipped: bool
    saved_by: str
    saved_at: datetime


class TemplateInvalid(HotlineError, ValueError):
    """The typed template cannot be kept: `problems` by field (subject, text)."""

    code = "template-invalid"

    def __init__(self, problems: Mapping[str, list[TemplateProblem]]) -> None:
        super().__init__("template refused: " + ", ".join(sorted(problems)))
        self.problems = dict(problems)


def _check_kind(kind: str, language: str) -> None:
    if kind not in KINDS or language not in LANGUAGES:
        raise NotFound(f"no message kind {kind!r} in {language!r}")


def _version(row: MessageTemplate) -> TemplateVersion:
    return TemplateVersion(
        row.kind, row.language, row.version, row.subject, row.text, row.shipped, row.saved_by, row.saved_at
    )


def template_versions(session: Session, kind: str, language: str) -> list[TemplateVersion]:
    """Newest first."""
    _check_kind(kind, language)
    rows = session.scalars(
        select(MessageTemplate)
        .where(MessageTemplate.kind == kind, MessageTemplate.language == language)
        .order_by(MessageTemplate.version.desc())
    )
    return [_version(row) for row in rows]


# Wordings already read in a unit of work (its session's info), by kind: a group of timer firings that
# chases five departments reads the chase's wording once.
_READ = "hotline_wordings"


def wordings(session: Session, kind: str) -> dict[str, Wording]:
    """language → the administrator's wording in force for `kind` (none where the shipped text is)."""
    read: dict[str, dict[str, Wording]] = session.info.setdefault(_READ, {})
    if kind not in read:
        read[kind] = _wordings_in_force(session, kind)
    return read[kind]


def _wordings_in_force(session: Session, kind: str) -> dict[str, Wording]:
    newest = (
        select(MessageTemplate.language, func.max(MessageTemplate.version).label("version"))
        .where(MessageTemplate.kind == kind)
        .group_by(MessageTemplate.language)
        .subquery()
    )
    rows = session.execute(
        select(MessageTemplate.language, MessageTemplate.subject, MessageTemplate.text)
        .join(
            newest,
            (MessageTemplate.language == newest.c.language) & (MessageTemplate.version == newest.c.version),
        )
        .where(MessageTemplate.kind == kind, MessageTemplate.shipped.is_(False))
    ).all()
    return {language: Wording(subject, text) for language, subject, text in rows}


def shipped_wording(kind: str, translate: Translate) -> Wording:
    """The shipped text of `kind` in the language of `translate`, in the administrator's form."""
    spec = KINDS[kind]
    return Wording(from_shipped(translate(spec.subject)), from_shipped(translate(spec.text)))


def wording_problems(kind: str, subject: str, text: str) -> dict[str, list[TemplateProblem]]:
    allowed = KINDS[kind].variables
    problems = {"subject": template_problems(subject, allowed), "text": template_problems(text, allowed)}
    if not text.strip():
        problems["text"].insert(0, TemplateProblem("empty_text"))
    return {name: found for name, found in problems.items() if found}


def _add_version(
    uow: UnitOfWork, kind: str, language: str, based_on: int, actor: str, wording: Wording | None
) -> int:
    versions = template_versions(uow.session, kind, language)
    current = versions[0].version if versions else 0
    if based_on != current:
        # Two administrators rewording one message: the later save would silently undo the earlier one.
        raise Conflict(f"template {kind}/{language} changed meanwhile", "template_changed", kind=kind)
    uow.session.add(
        MessageTemplate(
            kind=kind,
            language=language,
            version=current + 1,
            subject=wording.subject if wording else "",
            text=wording.text if wording else "",
            shipped=wording is None,
            saved_by=actor,
            saved_at=uow.clock.now(),
        )
    )
    try:
        uow.session.flush()
    except IntegrityError as err:
        raise Conflict(f"template {kind}/{language} saved meanwhile", "template_changed", kind=kind) from err
    uow.session.info.get(_READ, {}).pop(kind, None)
    return current + 1


def save_wording(
    uow: UnitOfWork, kind: str, language: str, subject: str, text: str, based_on: int, actor: str
) -> int:
    """A new version in force from now on; returns its number. Raises TemplateInvalid, Conflict (someone
    saved a version after `based_on`)."""
    _check_kind(kind, language)
    problems = wording_problems(kind, subject, text)
    if problems:
        raise TemplateInvalid(problems)
    return _add_version(uow, kind, language, based_on, actor, Wording(subject.strip(), text.strip()))


def reset_wording(uow: UnitOfWork, kind: str, language: str, based_on: int, actor: str) -> int:
    """Back to the shipped text, as a version of its own (the history keeps what was there)."""
    _check_kind(kind, language)
    return _add_version(uow, kind, language, based_on, actor, None)


def preview_params(
    session: Session,
    kind: str,
    translate: Translate,
    zone: ZoneInfo,
    task_name: Callable[[HumanTask], str] = lambda task: task.name,
) -> dict[str, Any] | None:
    """The values of `kind`'s variables for the most recent real case it could concern: the latest
    outage notice for outage kinds, else the latest case and its latest task (`task_name`: the task's
    name in the message's language); the reports' figures are last week's. None while there is none."""
    if kind in ("outage", "estimate", "restoration"):
        facts = _latest_outage(session, restored=kind == "restoration")
        if facts is None:
            return None
        return _outage_params(kind, facts, translate, zone)
    case = session.scalars(select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(1)).first()
    if case is None:
        return None
    task = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == case.id).order_by(HumanTask.id.desc()).limit(1)
    ).first()
    data = case.data or {}
    due = task.due_at if task is not None and task.due_at is not None else case.opened_at
    week_ends = case.opened_at.astimezone(zone).date()
    week_starts = week_ends - timedelta(days=6)
    since = case.opened_at - timedelta(days=7)
    opened = session.scalar(select(func.count()).where(ProcessInstance.opened_at > since)) or 0
    closed = session.scalar(select(func.count()).where(ProcessInstance.closed_at > since)) or 0
    return {
        "case": case.case_number,
        "answer": str(data.get("answer") or ""),
        "message": str(data.get("description") or ""),
        "task": task_name(task) if task is not None else "",
        "due": due.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "period": f"{week_starts:%Y-%m-%d} – {week_ends:%Y-%m-%d}",
        "covered": f"{week_starts:%Y-%m-%d} 00:00 – {week_ends:%Y-%m-%d} 16:00",
        "summary": say(_SUMMARY, {"opened": opened, "closed": closed}, translate),
    }


def _latest_outage(session: Session, restored: bool) -> OutageFacts | None:
    """The latest outage notice's facts; for a restoration, the latest restored one, else the latest
    notice as if it came back when expected (a preview must not say "restored at -")."""
    latest = select(Notice).order_by(Notice.id.desc()).limit(1)
    if restored:
        notice = session.scalars(latest.where(Notice.restored_at.is_not(None))).first()
        if notice is not None:
            return OutageFacts.of_notice(notice)
    notice = session.scalars(latest).first()
    if notice is None:
        return None
    facts = OutageFacts.of_notice(notice)
    if restored:
        return replace(
            facts, restored_at=facts.estimated_restore_at or facts.starts_at or notice.published_at
        )
    return facts


def _outage_params(kind: str, facts: OutageFacts, translate: Translate, zone: ZoneInfo) -> dict[str, Any]:
    """The variables compose_outage fills, read back from its own values."""
    marker = Wording("", "\x00".join("{" + name + "}" for name in KINDS[kind].variables))
    said = compose_outage(kind, facts, translate, zone, marker).text.split("\x00")
    return dict(zip(KINDS[kind].variables, said, strict=True))
