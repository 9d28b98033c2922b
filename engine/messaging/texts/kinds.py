"""Every kind of message an administrator may reword: its name, the variables its template may use
(with what each says) and the text shipped with the system, used while no template is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.messages import N_, Translate
from engine.messaging.texts import chase, liaison, outage
from engine.messaging.texts.composed import Composed, Wording, fill

LANGUAGES = ("zh_CN", "en")

_CASE = {"case": N_("the case number")}
_OUTAGE = {
    "service": N_("heating or water"),
    "area": N_("district, building and unit"),
}


@dataclass(frozen=True)
class MessageKind:
    code: str
    label: str
    variables: Mapping[str, str]
    subject: str
    text: str


KINDS: dict[str, MessageKind] = {
    kind.code: kind
    for kind in (
        MessageKind(
            "outage",
            N_("Outage announcement"),
            {
                **_OUTAGE,
                "starts": N_("when the stop starts"),
                "restore": N_("the expected restoration time"),
                "cause": N_("the cause"),
                **_CASE,
            },
            *outage.SHIPPED["outage"],
        ),
        MessageKind(
            "estimate",
            N_("New estimated restoration time"),
            {**_OUTAGE, "restore": N_("the expected restoration time"), **_CASE},
            *outage.SHIPPED["estimate"],
        ),
        MessageKind(
            "restoration",
            N_("Service restored"),
            {**_OUTAGE, "restored": N_("when the service came back"), **_CASE},
            *outage.SHIPPED["restoration"],
        ),
        MessageKind(
            "consultation_reply",
            N_("Consultation reply"),
            {**_CASE, "answer": N_("the answer written on the reply step")},
            N_("Reply to your enquiry, case %(case)s"),
            N_("Reply from the hotline to your enquiry (case %(case)s): %(answer)s"),
        ),
        MessageKind(
            "liaison",
            N_("Urgent liaison report"),
            {**_CASE, "message": N_("the diagram's notification text")},
            liaison.SUBJECT,
            liaison.TEXT,
        ),
        MessageKind(
            "chase",
            N_("Chase of an overdue task"),
            {**_CASE, "task": N_("the overdue task"), "due": N_("when it was due")},
            chase.SUBJECT,
            chase.TEXT,
        ),
        MessageKind(
            "weekly_report",
            N_("Weekly report"),
            {"period": N_("the week reported"), "summary": N_("the report's figures in a few lines")},
            N_("Hotline weekly report %(period)s"),
            N_("The hotline's report for %(period)s is attached.\n\n%(summary)s"),
        ),
        MessageKind(
            "monthly_report",
            N_("Monthly 12345 summary"),
            {
                "period": N_("the month reported (26th to 25th)"),
                "covered": N_(
                    "the receipt times the figures cover: from the previous summary's cut-off, on the 25th "
                    "of last month, to this one's, on the 25th"
                ),
                "summary": N_("the report's figures in a few lines"),
            },
            N_("Hotline monthly 12345 summary %(period)s"),
            N_(
                "The hotline's 12345 summary for %(period)s is attached. It counts the cases received "
                "%(covered)s; those received later are in the next month's summary.\n\n%(summary)s"
            ),
        ),
    )
}


def compose_kind(
    kind: str, values: Mapping[str, Any], translate: Translate, wording: Wording | None = None
) -> Composed:
    """A kind's message from its variables' values (those without a composer of their own)."""
    spec = KINDS[kind]
    params = {name: values.get(name, "") for name in spec.variables}
    return fill((spec.subject, spec.text), params, translate, wording)
