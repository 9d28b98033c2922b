"""Likely duplicates of a call (并单): open cases that may be about the same matter, proposed at intake
as the operator types and on the case page, each with why it matched; and the current outages whose
area covers the caller's address (a call about an announced outage belongs to that outage).

A confidential case keeps only a mask in its phone and address columns (C7), so it is never found by
who called; a proposal shows the case's number, procedure, category and time, never its customer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases import Outage, recent_outages
from engine.db import ESCAPE, ProcessInstance, starting_with

# Open cases opened this long ago or less are looked at; a setting (Runtime.case_linking).
DEFAULT_WINDOW = timedelta(hours=72)
# The building part of an address as callers give it: "金明小区3号楼2单元501" → "金明小区3号楼".
_BUILDING = re.compile(r"^(.+?(?:号楼|栋|幢|座))")
_UNIT = re.compile(r"(\d+)\s*单元")
# What a district's name ends with that an address often leaves out ("金明区" is "金明小区" to a caller).
_AREA_SUFFIXES = ("街道", "社区", "小区", "新区", "区", "镇")
SHOWN = 10
# How strongly each reason says "the same matter": the caller's own phone most, a shared category least.
_WEIGHTS = {"phone": 8, "address": 4, "building": 2, "category": 1}


@dataclass(frozen=True)
class LikelyDuplicate:
    """An open case that may be about the same matter; `reasons` are "phone", "address", "building"
    and "category", in that order, as many as matched."""

    instance: ProcessInstance
    reasons: tuple[str, ...]


def building_of(address: str) -> str:
    """The building part of an address ("" when the address names no building)."""
    found = _BUILDING.match((address or "").strip())
    return found.group(1) if found else ""


def likely_duplicates(
    session: Session,
    phone: str,
    address: str,
    category: str,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    exclude_id: int | None = None,
    limit: int = SHOWN,
) -> list[LikelyDuplicate]:
    """Open cases opened within `window` before `now` with the same phone, address or building, or
    category; the strongest matches first (the caller's phone, then the address, the building, the
    category), newest first among equals."""
    phone, address, category = (phone or "").strip(), (address or "").strip(), (category or "").strip()
    building = building_of(address)
    matches = []
    if phone:
        matches.append(ProcessInstance.customer_phone == phone)
    if building:
        matches.append(ProcessInstance.address.like(starting_with(building), escape=ESCAPE))
    elif address:
        matches.append(ProcessInstance.address == address)
    if category:
        matches.append(ProcessInstance.category == category)
    if not matches:
        return []
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.status == "running", ProcessInstance.opened_at >= now - window, or_(*matches))
        .order_by(ProcessInstance.opened_at.desc(), ProcessInstance.id.desc())
        .limit(200)
    )
    if exclude_id is not None:
        query = query.where(ProcessInstance.id != exclude_id)
    found = []
    for instance in session.scalars(query):
        reasons = _reasons(instance, phone, address, building, category)
        if reasons:
            found.append(LikelyDuplicate(instance, reasons))
    found.sort(key=lambda d: -sum(_WEIGHTS[r] for r in d.reasons))
    return found[:limit]


def _reasons(
    instance: ProcessInstance, phone: str, address: str, building: str, category: str
) -> tuple[str, ...]:
    reasons = []
    if phone and instance.customer_phone == phone:
        reasons.append("phone")
    if address and instance.address == address:
        reasons.append("address")
    elif building and (instance.address or "").startswith(building):
        reasons.append("building")
    if category and instance.category == category:
        reasons.append("category")
    return tuple(reasons)


def _area_stem(district: str) -> str:
    for suffix in _AREA_SUFFIXES:
        if district.endswith(suffix) and len(district) > len(suffix):
            return district[: -len(suffix)]
    return district


def covers(outage: Outage, address: str) -> bool:
    """Whether the outage's area (district, building, unit) takes in this address."""
    notice = outage.latest
    stem = _area_stem(notice.district.strip())
    if not address or not stem or stem not in address:
        return False
    if notice.building and notice.building not in address:
        return False
    unit_of_outage, unit_of_address = _UNIT.search(notice.unit or ""), _UNIT.search(address)
    return not (unit_of_outage and unit_of_address and unit_of_outage.group(1) != unit_of_address.group(1))


def outages_covering(session: Session, address: str) -> list[Outage]:
    """The outages going on now whose area takes in the address."""
    address = (address or "").strip()
    if not address:
        return []
    return [o for o in recent_outages(session) if o.is_current and covers(o, address)]
