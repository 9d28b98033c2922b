"""Reference data: departments, categories (PROCEDURES.md) and case sources (issue 19), kept in the database and edited by an
administrator; forms take their options from here and cases are routed by the category's department.

Scripts in a diagram ask for a category's deadline (`onsite_minutes`) while the engine runs, without a
session of their own: the unit of work makes its session's reference data current for that time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from sqlalchemy import Boolean, Integer, String, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from engine.bpmn import FieldDef, Option
from engine.clock import Clock
from engine.db import (
    CaseSource,
    Category,
    Department,
    DriverStatement,
    PlatformEndpoint,
    note_for_transaction,
    noted_in_transaction,
)
from engine.reference.audit import record_admin_change
from engine.reference.stamp import (
    UNIT_REFERENCE_KEY,
    changed_in,
    noted_reference_stamp,
    read_reference_stamp,
)

# The on-site deadline of a category that sets none (R3: "other faults as the category sets").
DEFAULT_ONSITE_MINUTES = 24 * 60

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("customer_service", "客服中心", "Customer service"),
    ("operations", "生产运行", "Operations"),
    ("repair", "维修", "Repair"),
    ("technical", "技术", "Technical"),
    ("billing", "收费", "Billing"),
)

# code, name, English name, domain, parent, department, on-site minutes (R3)
CATEGORIES: tuple[tuple[str, str, str, str, str | None, str, int | None], ...] = (
    ("temperature", "温度不达标", "Temperature below standard", "heating", None, "operations", 240),
    ("facility", "设施故障", "Facility fault", "heating", None, "repair", 120),
    ("conduct", "服务态度", "Staff conduct", "heating", None, "customer_service", None),
    ("billing", "收费", "Billing", "heating", None, "billing", None),
    ("connection", "报装", "New connection", "heating", None, "technical", None),
    ("safety", "安全隐患", "Safety hazard", "heating", None, "operations", 30),
    ("water_outage", "停水", "Water outage", "water", None, "operations", 120),
    ("leak", "漏水", "Leak", "water", None, "repair", 30),
    ("burst", "爆管", "Burst pipe", "water", None, "repair", 30),
    ("pressure", "水压", "Water pressure", "water", None, "operations", 240),
    ("quality", "水质", "Water quality", "water", None, "technical", 240),
    ("water_billing", "水费", "Water billing", "water", None, "billing", None),
    ("manhole", "井盖", "Manhole cover", "water", None, "repair", 120),
    ("assisted_shutoff", "协助停水", "Assisted shut-off", "water", None, "repair", 120),
    ("water_theft", "偷窃水", "Water theft", "water", None, "operations", None),
    ("meter_fault", "IC卡水表故障", "Prepaid meter fault", "water", None, "repair", 180),
    ("meter_no_display", "无显无水", "No display, no water", "water", "meter_fault", "repair", 180),
    ("meter_no_sampling", "液晶不采样", "Display not sampling", "water", "meter_fault", "repair", 180),
    ("meter_low_flow", "水小", "Low flow", "water", "meter_fault", "repair", 180),
    ("meter_noise", "表响", "Meter noise", "water", "meter_fault", "repair", 180),
    ("meter_body_leak", "表体漏水", "Meter body leaking", "water", "meter_fault", "repair", 30),
    ("meter_overdraft", "透支", "Overdrawn", "water", "meter_fault", "billing", None),
    ("meter_self_running", "表自转", "Meter running by itself", "water", "meter_fault", "repair", 180),
    ("meter_mismeasure", "计量有误", "Wrong measurement", "water", "meter_fault", "repair", 180),
    ("meter_frozen", "表冻或烫坏", "Meter frozen or scalded", "water", "meter_fault", "repair", 180),
    ("other", "其它", "Other", "general", None, "customer_service", None),
)

# Where cases come from: code, name, English name, upstream (a platform or authority expecting the
# result replied there, U1; M10 counts these). The first is the default of a case that names none.
DEFAULT_SOURCE = "hotline"
SOURCES: tuple[tuple[str, str, str, bool], ...] = (
    ("hotline", "96666热线来电", "96666 hotline call", False),
    ("walk_in", "来访", "Walk-in", False),
    ("liaison", "联络员", "Liaison", False),
    ("mayor_12345", "12345市长专线", "12345 mayor's hotline", True),
    ("sasac_platform", "国资委政民互动", "SASAC citizen platform", True),
    ("forwarded_letter", "信访局/建设局转办函", "Letter forwarded by a bureau", True),
    ("consumer_association", "消协", "Consumer association", True),
    ("digital_city", "数字城管", "Digital city management", True),
    ("media", "媒体", "Media", True),
    ("api_client", "API客户端", "API client", False),
    # A maintenance order the utility opens itself from the hot spots (冬病夏治), not a customer's call.
    ("hot_spot", "热点分析（冬病夏治）", "Hot-spot maintenance", False),
)
# The source of a maintenance order opened from the hot-spot page: its caller's name and phone may be
# empty (repair.bpmn, optionalWhen).
HOT_SPOT_SOURCE = "hot_spot"


# Who the audit says added the defaults.
SEEDING_ACTOR = "system"


def seed_reference_data(session: Session, clock: Clock, actor: str = SEEDING_ACTOR) -> int:
    """Add the departments, categories and case sources of the defaults that are missing; returns how
    many were added.

    Rows an administrator changed are left as they are. What was added is recorded in the
    administrative audit, as every change of these tables is: units of work in every process learn from
    it that the tables changed (engine.reference.stamp).
    """
    defaults = _default_rows()
    known_departments = set(session.scalars(select(Department.code)))
    known_categories = set(session.scalars(select(Category.code)))
    known_sources = set(session.scalars(select(CaseSource.code)))
    departments, categories, sources = defaults
    missing_departments = [d for d in departments if d.code not in known_departments]
    session.add_all(missing_departments)
    session.flush()
    missing_categories = [c for c in categories if c.code not in known_categories]
    missing_sources = [s for s in sources if s.code not in known_sources]
    session.add_all([*missing_categories, *missing_sources])
    # How many of each were added: their codes are no words for the audit page in either language.
    added = {
        "departments": len(missing_departments),
        "categories": len(missing_categories),
        "case_sources": len(missing_sources),
    }
    if any(added.values()):
        changes = {kind: [None, count] for kind, count in added.items() if count}
        record_admin_change(session, clock, actor, "reference_seeded", "reference_data", "defaults", changes)
    session.flush()
    return len(missing_departments) + len(missing_categories) + len(missing_sources)


@dataclass(frozen=True, slots=True)
class DepartmentRef:
    """A department as read: plain values, kept after the session that read it is gone."""

    code: str
    name: str
    name_en: str
    sort_order: int
    active: bool


@dataclass(frozen=True, slots=True)
class CategoryRef:
    code: str
    name: str
    name_en: str
    domain: str
    parent_code: str | None
    department_code: str
    onsite_minutes: int | None
    sort_order: int
    active: bool


@dataclass(frozen=True, slots=True)
class SourceRef:
    code: str
    name: str
    name_en: str
    upstream: bool
    sort_order: int
    active: bool


@dataclass(frozen=True)
class ReferenceData:
    """A snapshot of the reference tables, read once per unit of work or page."""

    departments: tuple[DepartmentRef, ...]
    categories: tuple[CategoryRef, ...]
    sources: tuple[SourceRef, ...] = ()

    # Worked out once per snapshot (a snapshot serves many units: `load_reference_data`).
    @cached_property
    def _categories_by_code(self) -> dict[str, CategoryRef]:
        return {c.code: c for c in self.categories}

    @cached_property
    def _sources_by_code(self) -> dict[str, SourceRef]:
        return {s.code: s for s in self.sources}

    @cached_property
    def _upstream(self) -> frozenset[str]:
        return frozenset(s.code for s in self.sources if s.upstream)

    @cached_property
    def _options(self) -> dict[str, tuple[Option, ...]]:
        return {}

    @cached_property
    def _departments_by_code(self) -> dict[str, DepartmentRef]:
        return {d.code: d for d in self.departments}

    def department(self, code: str | None) -> DepartmentRef | None:
        return self._departments_by_code.get(code) if code is not None else None

    def category(self, code: str | None) -> CategoryRef | None:
        return self._categories_by_code.get(code) if code is not None else None

    def source(self, code: str | None) -> SourceRef | None:
        return self._sources_by_code.get(code) if code is not None else None

    def upstream_sources(self) -> frozenset[str]:
        """The codes of the sources whose cases are replied upstream (U1), retired ones included."""
        return self._upstream

    def options(self, kind: str) -> tuple[Option, ...]:
        known = self._options.get(kind)
        if known is None:
            known = self._options[kind] = self._options_of(kind)
        return known

    def _options_of(self, kind: str) -> tuple[Option, ...]:
        if kind == "department":
            return tuple(Option(d.code, d.name, d.name_en) for d in self.departments if d.active)
        if kind == "case_source":
            return tuple(
                Option(s.code, s.name, s.name_en, group="upstream" if s.upstream else "")
                for s in self.sources
                if s.active
            )
        parents = {c.code: c for c in self.categories}
        return tuple(
            Option(c.code, c.name, c.name_en, group=c.domain if c.parent_code is None else c.parent_code)
            for c in self.categories
            if c.active and (c.parent_code is None or parents.get(c.parent_code) is not None)
        )

    def active_category_codes(self) -> list[str]:
        return [c.code for c in self.categories if c.active]


def _rows_of(kind: str, columns: dict[str, Any]) -> Any:
    """One table's part of the reference statement: every column of the three tables, in one order,
    NULL where the table has none (typed, so PostgreSQL can unite the parts)."""
    types = {"domain": String, "parent_code": String, "department_code": String, "upstream": Boolean}
    return select(
        literal(kind).label("kind"),
        *[
            columns[name].label(name)
            if name in columns
            else cast(null(), types.get(name, Integer)).label(name)
            for name in _COLUMNS
        ],
    )


_COLUMNS = (
    "code",
    "name",
    "name_en",
    "sort_order",
    "active",
    "domain",
    "parent_code",
    "department_code",
    "onsite_minutes",
    "upstream",
)


def _columns(table: Any) -> dict[str, Any]:
    return {name: getattr(table, name) for name in _COLUMNS if hasattr(table, name)}


# Built once, the three tables in one statement (issue 15): every unit of work that checks a form with a
# reference field reads them, and a built statement is compiled once (and sent straight to the driver).
_REFERENCE = DriverStatement(
    union_all(
        _rows_of("department", _columns(Department)),
        _rows_of("category", _columns(Category)),
        _rows_of("source", _columns(CaseSource)),
    ).order_by("kind", "sort_order", "code")
)


# The last snapshot this process built, with the rows it was built from: a read that finds the same rows
# (nearly every read: the tables change when an administrator edits them) takes it as it is.
_last: tuple[tuple[Any, ...], ReferenceData] | None = None


def load_reference_data(session: Session) -> ReferenceData:
    """The three reference tables as they are now, with one statement."""
    global _last
    rows = tuple(map(tuple, _REFERENCE.execute(session).rows))
    last = _last
    if last is not None and last[0] == rows:
        return last[1]
    reference = _snapshot(rows)
    _last = (rows, reference)
    return reference


def _snapshot(rows: tuple[Any, ...]) -> ReferenceData:
    departments: list[DepartmentRef] = []
    categories: list[CategoryRef] = []
    sources: list[SourceRef] = []
    for (
        kind,
        code,
        name,
        name_en,
        order,
        active,
        domain,
        parent,
        department,
        minutes,
        upstream,
    ) in rows:
        if kind == "category":
            categories.append(
                CategoryRef(code, name, name_en, domain, parent, department, minutes, order, bool(active))
            )
        elif kind == "department":
            departments.append(DepartmentRef(code, name, name_en, order, bool(active)))
        else:
            sources.append(SourceRef(code, name, name_en, bool(upstream), order, bool(active)))
    return ReferenceData(tuple(departments), tuple(categories), tuple(sources))


# The snapshot units of work took last, with the database and the stamp it belongs to: a unit that
# noted the same stamp (nearly every unit: the tables change when an administrator edits them) takes it
# without reading the tables (engine.reference.stamp).
_by_stamp: tuple[tuple[Any, int], ReferenceData] | None = None


def unit_reference(session: Session) -> ReferenceData:
    """The reference data as this session's transaction read it first (read now if it has not): the
    forms a unit of work checks and the lookups its scripts make (a case's steps change no reference
    data). The tables are read only when their stamp changed since this process last read them."""
    global _by_stamp
    held: ReferenceData | None = noted_in_transaction(session, UNIT_REFERENCE_KEY)
    if held is not None:
        return held
    transaction = session.get_transaction()
    if changed_in(session, transaction):  # its own changes, not committed: read, never cached
        return load_reference_data(session)
    stamp = noted_reference_stamp(session)
    if stamp is None:
        stamp = read_reference_stamp(session)
    key = (_database_of(session), stamp)
    cached = _by_stamp
    if cached is not None and cached[0] == key:
        reference = cached[1]
    else:
        # Read after the stamp: at least as new as it (a newer snapshot under an older stamp is read
        # again by the first unit that notes the newer one).
        reference = load_reference_data(session)
        _by_stamp = (key, reference)
    if transaction is not None:
        note_for_transaction(session, UNIT_REFERENCE_KEY, reference)
    return reference


def _database_of(session: Session) -> Any:
    """Which database the session reads (a process may hold several: tests, benchmarks)."""
    return session.get_bind().engine.url


def forget_snapshots() -> None:
    """Forget the snapshots this process holds. Only for a database that went back to an earlier state
    (a test's rolled-back transaction; a restored backup comes with a restart): its stamps repeat."""
    global _last, _by_stamp
    _last = _by_stamp = None


def _default_rows() -> tuple[list[Department], list[Category], list[CaseSource]]:
    """The rows seeding writes."""
    departments = [
        Department(code=c, name=n, name_en=e, sort_order=i, active=True)
        for i, (c, n, e) in enumerate(DEPARTMENTS)
    ]
    categories = [
        Category(
            code=c,
            name=n,
            name_en=e,
            domain=d,
            parent_code=p,
            department_code=dep,
            onsite_minutes=m,
            sort_order=i,
            active=True,
        )
        for i, (c, n, e, d, p, dep, m) in enumerate(CATEGORIES)
    ]
    sources = [
        CaseSource(code=c, name=n, name_en=e, upstream=u, sort_order=i, active=True)
        for i, (c, n, e, u) in enumerate(SOURCES)
    ]
    return departments, categories, sources


def default_reference_data() -> ReferenceData:
    """The reference data of PROCEDURES.md as seeding writes it, without a database."""
    return ReferenceData(
        tuple(DepartmentRef(c, n, e, i, True) for i, (c, n, e) in enumerate(DEPARTMENTS)),
        tuple(
            CategoryRef(c, n, e, d, p, dep, m, i, True)
            for i, (c, n, e, d, p, dep, m) in enumerate(CATEGORIES)
        ),
        tuple(SourceRef(c, n, e, u, i, True) for i, (c, n, e, u) in enumerate(SOURCES)),
    )


def with_reference_options(fields: tuple[FieldDef, ...], reference: ReferenceData) -> tuple[FieldDef, ...]:
    """The form's fields with reference enums holding today's options."""
    if not any(f.reference for f in fields):
        return fields
    return tuple(replace(f, options=reference.options(f.reference)) if f.reference else f for f in fields)


def fill_suggested(
    fields: tuple[FieldDef, ...],
    values: dict[str, Any],
    reference: ReferenceData,
    department_for: Callable[[str], str | None],
) -> None:
    """A department left empty becomes the one the chosen category is routed to (C1), as
    `department_for` says (the routing table, engine.decisions.routing); a case source left
    empty is the diagram's default, else the own hotline; a platform's reference number and deadline
    are dropped when the case's source is no platform (U1), so no deadline of another source shortens
    the case's own."""
    upstream = reference.upstream_sources()
    for f in fields:
        if f.reference == "case_source" and f.id in values and values[f.id] is None:
            values[f.id] = f.default or DEFAULT_SOURCE
        if f.suggest_from and values.get(f.id) is None:
            category = reference.category(values.get(f.suggest_from))
            if category is not None:
                values[f.id] = department_for(category.code)
        if f.upstream_of and f.id in values and values.get(f.upstream_of) not in upstream:
            values[f.id] = None


# --- for scripts -------------------------------------------------------------------------------------

_current: ContextVar[Session | None] = ContextVar("hotline_reference_session", default=None)


@contextmanager
def reference_session(session: Session) -> Iterator[None]:
    """Let the scripts run inside this block read reference data through `session`."""
    token = _current.set(session)
    try:
        yield
    finally:
        _current.reset(token)


def _category_row(code: str) -> CategoryRef:
    session = _current.get()
    if session is None:
        raise LookupError("reference data is read only while a case runs")
    row = unit_reference(session).category(str(code))
    if row is None:
        raise LookupError(f"unknown category '{code}'")
    return row


# A category's route (department, on-site minutes) as the routing table gives it, for the session a case
# runs in; None when no table answers. The runtime lends engine.decisions.routing's (this layer does not
# know decisions); without one, the category's own row answers.
Router = Callable[[Session, str], "tuple[str | None, int | None] | None"]


def _routed(category: str, router: Router | None) -> tuple[str | None, int | None]:
    row = _category_row(category)
    session = _current.get()
    found = router(session, row.code) if router is not None and session is not None else None
    if found is None:
        return row.department_code, row.onsite_minutes
    return found


def onsite_minutes(category: str, router: Router | None = None) -> int:
    """R3: how many minutes after dispatch someone must be on site for this category."""
    minutes = _routed(category, router)[1]
    return DEFAULT_ONSITE_MINUTES if minutes is None else int(minutes)


def department_of(category: str, router: Router | None = None) -> str:
    department = _routed(category, router)[0]
    return department if department is not None else _category_row(category).department_code


def from_upstream_platform(source: str | None) -> bool:
    """U1: whether a case of this source is replied on the platform it came from after the callback.
    A case that names no source came to the own hotline."""
    session = _current.get()
    code = str(source or DEFAULT_SOURCE)
    if session is None:  # a workflow run in memory (a benchmark, a diagram check): the default sources
        default = default_reference_data().source(code)
        return bool(default is not None and default.upstream)
    row = unit_reference(session).source(code)
    if row is None:
        raise LookupError(f"unknown case source '{code}'")
    return bool(row.upstream)


def platform_reply_by_api(source: str | None) -> bool:
    """U1, issue 19: whether the platform of this source takes the reply by API (an active reply
    endpoint, engine.messaging.platform_replies); otherwise the operator pastes it there."""
    session = _current.get()
    if session is None or not source:  # a workflow run in memory: no endpoint is configured
        return False
    row = session.get(PlatformEndpoint, str(source))
    return bool(row is not None and row.active)


def script_lookups(router: Router | None = None) -> dict[str, Callable[[str], object]]:
    """What answers the reference lookups a diagram's scripts may call (engine.bpmn.sandbox LOOKUP_NAMES);
    a category's route from `router` (the routing table) when given."""
    return {
        "onsite_minutes": lambda category: onsite_minutes(category, router),
        "department_of": lambda category: department_of(category, router),
        "from_upstream_platform": from_upstream_platform,
        "platform_reply_by_api": platform_reply_by_api,
    }
