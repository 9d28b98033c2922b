"""Hot spots (热点分析, issue 20 item 10): where the cases of a period come from, so maintenance can go
there before the next winter (冬病夏治, 未诉先办).

- A case's **building** is the customer register's (M5) district and building of the register entry
  with the case's phone (`customer.phone`); a case whose phone is not in the register counts in the
  district and category tables' totals as "not in the register" and in no building; so does one whose
  register entry has no district (a caller registered from a case, with the address as one text), and
  one whose entry has a district but no building counts in its district only.
- A building's **heated area** is the sum of its register entries' `heated_area`; **complaints per
  10,000 m²** = its complaints (cases of a procedure with the process role `complaint`) in the period
  ÷ (heated area ÷ 10,000), shown as "—" when the register gives no area.
- **Outages**: the outages that published notices lately (engine.cases.recent_outages) of the
  building's district, for the whole district or that building; *now* while not restored, *in the
  period* when it started, was announced or was restored in the period.
- Buildings are listed most cases first, then most complaints, then by name.
- A maintenance order opened from this page (source `hot_spot`, engine.work.maintenance_orders) is no
  call and counts nowhere here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.bpmn import COMPLAINT
from engine.cases import Outage, recent_outages
from engine.db import Customer, ProcessInstance
from engine.processes import deployed_roles
from engine.reference import HOT_SPOT_SOURCE
from engine.supervision.kpi import NONE, hotline_case
from engine.supervision.periods import Period

PER_AREA = 10_000  # m²
_PHONES_PER_QUERY = 500
UNREGISTERED = ""  # the district of cases whose phone the register lacks


@dataclass
class BuildingSpot:
    district: str
    building: str
    cases: int = 0
    complaints: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    heated_area: float | None = None
    outage_now: list[str] = field(default_factory=list)  # case numbers of the outages
    outage_in_period: list[str] = field(default_factory=list)

    @property
    def complaints_per_area(self) -> float | None:
        if not self.heated_area:
            return None
        return self.complaints / (self.heated_area / PER_AREA)

    @property
    def top_categories(self) -> list[tuple[str, int]]:
        return self.categories.most_common(3)


@dataclass
class HotSpots:
    period: Period
    as_of: datetime
    buildings: list[BuildingSpot]
    districts: Counter[str]
    categories: Counter[str]
    cases: int


def _buildings_of_phones(session: Session, phones: list[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for index in range(0, len(phones), _PHONES_PER_QUERY):
        chunk = phones[index : index + _PHONES_PER_QUERY]
        for phone, district, building in session.execute(
            select(Customer.phone, Customer.district, Customer.building)
            .where(Customer.phone.in_(chunk))
            .order_by(Customer.id)
        ):
            found.setdefault(phone, (district, building))
    return found


def _areas(session: Session, places: set[tuple[str, str]]) -> dict[tuple[str, str], float]:
    districts = sorted({district for district, _building in places})
    if not districts:
        return {}
    rows = session.execute(
        select(Customer.district, Customer.building, func.sum(Customer.heated_area))
        .where(Customer.district.in_(districts))
        .group_by(Customer.district, Customer.building)
    )
    return {(d, b): float(area) for d, b, area in rows if (d, b) in places and area}


def _overlay(spot: BuildingSpot, outages: list[Outage], start: datetime, end: datetime) -> None:
    for outage in outages:
        notice = outage.latest
        if notice.district != spot.district or notice.building not in ("", spot.building):
            continue
        if outage.is_current:
            spot.outage_now.append(outage.case_number)
        moments = [n.published_at for n in outage.notices] + [
            t for n in outage.notices for t in (n.starts_at, n.restored_at) if t is not None
        ]
        if any(start <= moment < end for moment in moments):
            spot.outage_in_period.append(outage.case_number)


def hot_spots(session: Session, period: Period, zone: ZoneInfo, as_of: datetime, limit: int = 50) -> HotSpots:
    """The cases of the period by building (the `limit` busiest), by district and by category."""
    start, end = period.bounds(zone)
    roles = deployed_roles(session)
    complaints = set(roles.keys_with(COMPLAINT))
    rows = session.execute(
        select(ProcessInstance.process_key, ProcessInstance.customer_phone, ProcessInstance.category).where(
            ProcessInstance.opened_at >= start,
            ProcessInstance.opened_at < end,
            ProcessInstance.opened_at <= as_of,
            ProcessInstance.source != HOT_SPOT_SOURCE,
            hotline_case(roles),
        )
    ).all()
    places = _buildings_of_phones(session, sorted({phone for _key, phone, _category in rows if phone}))
    spots: dict[tuple[str, str], BuildingSpot] = {}
    districts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for key, phone, category in rows:
        categories[category or NONE] += 1
        place = places.get(phone or "")
        if place is None or not place[0]:
            districts[UNREGISTERED] += 1
            continue
        districts[place[0]] += 1
        if not place[1]:  # no building to send maintenance to
            continue
        spot = spots.setdefault(place, BuildingSpot(*place))
        spot.cases += 1
        spot.complaints += 1 if key in complaints else 0
        spot.categories[category or NONE] += 1
    ranked = sorted(spots.values(), key=lambda s: (-s.cases, -s.complaints, s.district, s.building))[:limit]
    areas = _areas(session, {(s.district, s.building) for s in ranked})
    outages = recent_outages(session)
    for spot in ranked:
        spot.heated_area = areas.get((spot.district, spot.building))
        _overlay(spot, outages, start, end)
    return HotSpots(period, as_of, ranked, districts, categories, len(rows))
