"""O1/O2: the outage announcement, a new estimated restoration time, and the restoration, to customers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from engine.messages import N_, Translate, say
from engine.messaging.texts.composed import Composed, Wording, fill

if TYPE_CHECKING:
    from engine.db import Notice

_SERVICES = {"heating": N_("heating"), "water": N_("water")}
SHIPPED = {
    "outage": (
        N_("Outage notice: %(service)s"),
        N_(
            "Notice from the hotline: %(service)s in %(area)s stops from %(starts)s (%(cause)s); "
            "expected back by %(restore)s. Case %(case)s."
        ),
    ),
    "estimate": (
        N_("New restoration time: %(service)s"),
        N_(
            "Notice from the hotline: %(service)s in %(area)s is now expected back by %(restore)s. "
            "Case %(case)s."
        ),
    ),
    "restoration": (
        N_("Service restored: %(service)s"),
        N_("Notice from the hotline: %(service)s in %(area)s was restored at %(restored)s. Case %(case)s."),
    ),
}


@dataclass(frozen=True)
class OutageFacts:
    case_number: str
    service: str
    district: str
    building: str
    unit: str
    cause: str
    starts_at: datetime | None
    estimated_restore_at: datetime | None
    restored_at: datetime | None

    @classmethod
    def of_notice(cls, notice: Notice) -> OutageFacts:
        """What an outage notice says."""
        return cls(
            notice.case_number,
            notice.service,
            notice.district,
            notice.building,
            notice.unit,
            notice.cause,
            notice.starts_at,
            notice.estimated_restore_at,
            notice.restored_at,
        )


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def compose_outage(
    kind: str, facts: OutageFacts, translate: Translate, zone: ZoneInfo, wording: Wording | None = None
) -> Composed:
    """`kind`: outage, estimate or restoration."""
    subject, text = SHIPPED[kind]
    service = facts.service
    params = {
        "service": say(_SERVICES[service], {}, translate) if service in _SERVICES else service,
        "area": " ".join(part for part in (facts.district, facts.building, facts.unit) if part),
        "starts": _local(facts.starts_at, zone),
        "restore": _local(facts.estimated_restore_at, zone),
        "restored": _local(facts.restored_at, zone),
        "cause": facts.cause or "-",
        "case": facts.case_number,
    }
    order = {
        "outage": ("area", "starts", "restore", "case"),
        "estimate": ("area", "restore", "case"),
        "restoration": ("area", "restored", "case"),
    }[kind]
    return fill((subject, text), params, translate, wording, tuple(params[k] for k in order))
