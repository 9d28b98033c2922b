"""What a diagram's effects did, told in words in a case's history: the public notice it published, with
links to the notice and to the customers it goes to, and the staff it notified, by name. The history
keeps the raw facts (a notice's id, a count, logins); people read sentences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from webforms.i18n import list_separator
from webforms.people.names import person
from webforms.shown_values import local_time


def _after(changes: dict[str, Any], key: str) -> Any:
    pair = changes.get(key)
    return pair[1] if isinstance(pair, list | tuple) and len(pair) == 2 else None


def _link(href: str, text: str, css_class: str) -> Markup:
    return Markup('<a href="{}" class="{}">{}</a>').format(href, css_class, text)


def _notice_words(changes: dict[str, Any], case_number: str) -> Markup | None:
    notice_id, count = _after(changes, "notice"), _after(changes, "recipients")
    if not isinstance(notice_id, int) or not isinstance(count, int):
        return None
    notice = _link(
        url_for("public.notices", _anchor=f"notice-{notice_id}"), _("the public notice"), "notice-link"
    )
    if not count:
        return Markup(
            escape(_("Published %(notice)s; no customer of the register lives in the area.", notice="\x00"))
        ).replace("\x00", notice)
    customers = _link(
        url_for("cases.notice_recipients_page", case_number=case_number, notice_id=notice_id),
        _("1 affected customer") if count == 1 else _("%(count)s affected customers", count=count),
        "recipients-link",
    )
    return (
        Markup(escape(_("Published %(notice)s; it goes to %(customers)s.", notice="\x00", customers="\x01")))
        .replace("\x00", notice)
        .replace("\x01", customers)
    )


def _notified_words(changes: dict[str, Any]) -> Markup | None:
    recipients = _after(changes, "recipients")
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        return None
    if not recipients:
        return Markup(escape(_("Nobody was there to notify.")))
    return Markup(
        escape(_("Notified %(people)s.", people=list_separator().join(person(r) for r in recipients)))
    )


_CHANNELS = {"sms": _l("SMS"), "email": _l("E-mail")}


def _message_words(kind: str, changes: dict[str, Any]) -> Markup | None:
    """The outbox's events: which message (its number, channel and kind) and what happened to it."""
    number, channel = _after(changes, "message"), _after(changes, "channel")
    if not isinstance(number, int) or channel not in _CHANNELS:
        return None
    what = _(
        "%(channel)s no. %(number)s (%(kind)s)",
        channel=_CHANNELS[channel],
        number=number,
        kind=_after(changes, "kind") or "",
    )
    error = _after(changes, "error")
    text = {
        "message_sent": _("%(message)s handed to the gateway.", message=what),
        "message_delivered": _("%(message)s delivered.", message=what),
        "message_retrying": _(
            "%(message)s not taken, tried again later: %(error)s", message=what, error=error or ""
        ),
        "message_failed": _("%(message)s failed: %(error)s", message=what, error=error or ""),
        "message_resumed": _(
            "%(message)s sent again with the same key after a sender stopped.", message=what
        ),
        "message_retried": _("%(message)s put back in line by a supervisor.", message=what),
    }.get(kind)
    return Markup(escape(text)) if text else None


@dataclass(frozen=True)
class SentMessages:
    """Consecutive message_sent events shown as one entry: an outage sends thousands at a time."""

    at: datetime
    changes: dict[str, Any]
    kind: str = "messages_sent"
    actor: str = "system"
    element_id: None = None
    element_name: None = None


def fold_sent_messages(history: Sequence[Any]) -> list[Any]:
    """The history as shown: each run of two or more message_sent events in a row becomes one entry with
    how many there were and the first and last time; every event stays in the database."""
    shown: list[Any] = []
    run: list[Any] = []

    def end_run() -> None:
        if len(run) == 1:
            shown.append(run[0])
        elif run:
            shown.append(SentMessages(run[0].at, {"count": [None, len(run)], "last_at": [None, run[-1].at]}))
        run.clear()

    for event in history:
        if event.kind == "message_sent":
            run.append(event)
            continue
        end_run()
        shown.append(event)
    end_run()
    return shown


_REPLY_CHANNELS = {"sms": _l("SMS"), "email": _l("e-mail")}


def _reply_words(kind: str, changes: dict[str, Any]) -> Markup:
    """Q1: the reply as the customer gets it, or why it was not sent."""
    channel = str(_REPLY_CHANNELS.get(str(_after(changes, "channel")), _after(changes, "channel")))
    if kind == "reply_not_sent":
        return Markup(
            escape(
                _(
                    "The reply was not sent by %(channel)s: the reply address cannot take it, or the answer "
                    "is empty. Reply by phone or correct the address.",
                    channel=channel,
                )
            )
        )
    return Markup(escape(_("Sent by %(channel)s: “%(text)s”", channel=channel, text=_after(changes, "text"))))


def effect_words(event: Any, case_number: str) -> Markup | None:
    """The event told as a sentence, for the events of effects; None for the others (their changes show)."""
    changes = event.changes or {}
    if event.kind == "notice_published":
        return _notice_words(changes, case_number)
    if event.kind == "notification_sent":
        return _notified_words(changes)
    if event.kind.startswith("message_"):
        return _message_words(event.kind, changes)
    if event.kind in ("reply_sent", "reply_not_sent"):
        return _reply_words(event.kind, changes)
    if event.kind == "messages_sent":
        return Markup(
            escape(
                _(
                    "%(count)s messages handed to the gateway, the last at %(time)s.",
                    count=_after(changes, "count"),
                    time=local_time(_after(changes, "last_at"), "%H:%M:%S"),
                )
            )
        )
    return None
