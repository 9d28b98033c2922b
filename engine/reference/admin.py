"""An administrator's changes to reference data, checked before they are written; each change is
recorded in the administrative audit (who, when, each field before and after)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.bpmn import FieldError, control_character_error
from engine.clock import Clock
from engine.db import CaseSource, Category, Department, HumanTask, HumanTaskGroup, ProcessInstance
from engine.errors import Conflict
from engine.messages import N_
from engine.reference.audit import changes_between, record_admin_change
from engine.reference.data import Router
from engine.reference.groups import is_role_name

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,49}$")


def _text(raw: Any, limit: int) -> str:
    return str(raw or "").strip()[:limit]


def _control_characters(submitted: Mapping[str, Any]) -> dict[str, FieldError]:
    """Names and codes are one line of text: a control character (NUL, a vertical tab) is refused."""
    return {
        key: error
        for key, value in submitted.items()
        if (error := control_character_error(str(value))) is not None
    }


# What the refusals of this module mean, for whoever says them (the web's field messages say the
# common ones, required and taken, in the same words).
REFERENCE_PROBLEMS: dict[str, str] = {
    "code_pattern": N_("Use 2 to 50 lower-case letters, digits or _, beginning with a letter."),
    "in_use": N_(
        "Still in use, so it was not retired. Open tasks of its group: %(tasks)s. Active categories "
        "routed to it: %(categories)s. Reroute or finish them first."
    ),
    "taken": N_("This code is already used."),
    "required": N_("This field is required."),
    "not_option": N_("Choose one of the listed values."),
}
# How many users of a department a refusal to retire it names; the rest are counted.
USES_NAMED = 10

_CATEGORY_FIELDS = ("name", "name_en", "domain", "parent_code", "department_code", "onsite_minutes", "active")
_DEPARTMENT_FIELDS = ("name", "name_en", "active")
_SOURCE_FIELDS = ("name", "name_en", "upstream", "active")


def _snapshot(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields} if row is not None else {}


def _checked(raw: Any) -> bool:
    return str(raw or "").lower() in ("on", "true", "1")


def save_category(
    session: Session, clock: Clock, actor: str, code: str, submitted: Mapping[str, Any], new: bool
) -> dict[str, FieldError]:
    """Create or change a category; returns the errors by field (nothing is written when there are any)."""
    refused = _control_characters({"code": code, **submitted})
    if refused:
        return refused
    errors: dict[str, FieldError] = {}
    if new and not _CODE.match(code):
        errors["code"] = FieldError("pattern")
    elif new and session.get(Category, code) is not None:
        errors["code"] = FieldError("taken")
    name = _text(submitted.get("name"), 100)
    if not name:
        errors["name"] = FieldError("required")
    # The route itself lives in the routing table (engine.decisions.routing); a form that does not send
    # the category's own department and minutes keeps those it has.
    existing = session.get(Category, code) if not new else None
    department = _text(submitted.get("department_code"), 50)
    if not department and "department_code" not in submitted and existing is not None:
        department = existing.department_code
    if session.get(Department, department) is None:
        errors["department_code"] = FieldError("not_option")
    minutes_text = _text(submitted.get("onsite_minutes"), 10)
    minutes: int | None = None
    if "onsite_minutes" not in submitted and existing is not None:
        minutes = existing.onsite_minutes
    elif minutes_text:
        if not re.fullmatch(r"[0-9]+", minutes_text) or not 1 <= int(minutes_text) <= 7 * 24 * 60:
            errors["onsite_minutes"] = FieldError("min_value", {"min": 1})
        else:
            minutes = int(minutes_text)
    parent = _text(submitted.get("parent_code"), 50) or None
    if parent is not None and (parent == code or session.get(Category, parent) is None):
        errors["parent_code"] = FieldError("not_option")
    domain = _text(submitted.get("domain"), 20) or "general"
    if domain not in ("heating", "water", "general"):
        errors["domain"] = FieldError("not_option")
    if errors:
        return errors
    row = session.get(Category, code) if not new else None
    before = _snapshot(row, _CATEGORY_FIELDS)
    if row is None:
        row = Category(code=code, sort_order=1000)
        session.add(row)
    row.name, row.name_en, row.domain, row.parent_code = (
        name,
        _text(submitted.get("name_en"), 100),
        domain,
        parent,
    )
    row.department_code, row.onsite_minutes = department, minutes
    row.active = _checked(submitted.get("active"))
    changes = changes_between(before, _snapshot(row, _CATEGORY_FIELDS))
    if changes:
        action = "category_added" if not before else "category_changed"
        record_admin_change(session, clock, actor, action, "category", code, changes)
    session.flush()
    return {}


def department_uses(session: Session, code: str, router: Router | None = None) -> tuple[list[str], list[str]]:
    """What still needs the department: its open tasks (as "case number: task") and the active
    categories routed to it (as "name (code)"), by the routing table when `router` is given (the
    runtime's), else by the categories' own rows."""
    tasks = [
        f"{number}: {name}"
        for number, name in session.execute(
            select(ProcessInstance.case_number, HumanTask.name)
            .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
            .join(HumanTaskGroup, HumanTaskGroup.task_id == HumanTask.id)
            .where(HumanTaskGroup.group_name == code, HumanTask.status == "open")
            .order_by(ProcessInstance.case_number, HumanTask.id)
        )
    ]
    active = session.execute(
        select(Category.code, Category.name, Category.department_code)
        .where(Category.active.is_(True))
        .order_by(Category.sort_order, Category.code)
    ).all()
    categories = []
    for category, name, own in active:
        routed = router(session, category) if router is not None else None
        department = routed[0] if routed is not None and routed[0] is not None else own
        if department == code:
            categories.append(f"{name} ({category})")
    return tasks, categories


def _named(items: list[str]) -> str:
    if not items:
        return "-"
    shown = ", ".join(items[:USES_NAMED])
    return shown if len(items) <= USES_NAMED else f"{shown} (+{len(items) - USES_NAMED})"


_Row = TypeVar("_Row", Department, CaseSource)


@dataclass(frozen=True)
class _ReferenceTable(Generic[_Row]):
    """A table of reference rows an administrator adds, renames, retires and brings back: its model,
    the subject its changes are audited under (the actions are subject_added, _changed, _retired,
    _restored), the fields the audit follows and the ticked flags a form sets besides "active"."""

    model: type[_Row]
    subject: str
    fields: tuple[str, ...]
    flags: tuple[str, ...] = ()


_DEPARTMENTS = _ReferenceTable(Department, "department", _DEPARTMENT_FIELDS)
_SOURCES = _ReferenceTable(CaseSource, "case_source", _SOURCE_FIELDS, flags=("upstream",))


def _save_reference_row(
    session: Session,
    clock: Clock,
    actor: str,
    table: _ReferenceTable[_Row],
    code: str,
    submitted: Mapping[str, Any],
    retire_refused: Callable[[], dict[str, FieldError]] | None = None,
) -> dict[str, FieldError]:
    """Rename a reference row, set its flags, retire it or bring it back; `retire_refused` says why
    retiring it is refused (nothing when it is not)."""
    refused = _control_characters({"code": code, **submitted})
    if refused:
        return refused
    row = session.get(table.model, code)
    if row is None:
        return {"code": FieldError("not_option")}
    name = _text(submitted.get("name"), 100)
    if not name:
        return {"name": FieldError("required")}
    active = _checked(submitted.get("active"))
    if row.active and not active and retire_refused is not None:
        refused = retire_refused()
        if refused:
            return refused
    before = _snapshot(row, table.fields)
    row.name, row.name_en = name, _text(submitted.get("name_en"), 100)
    for flag in table.flags:
        setattr(row, flag, _checked(submitted.get(flag)))
    row.active = active
    changes = changes_between(before, _snapshot(row, table.fields))
    if changes:
        if before["active"] and not active:
            action = f"{table.subject}_retired"
        elif active and not before["active"]:
            action = f"{table.subject}_restored"
        else:
            action = f"{table.subject}_changed"
        record_admin_change(session, clock, actor, action, table.subject, code, changes)
    session.flush()
    return {}


def _add_reference_row(
    session: Session,
    clock: Clock,
    actor: str,
    table: _ReferenceTable[_Row],
    submitted: Mapping[str, Any],
    reserved: Callable[[str], bool] = lambda code: False,
) -> dict[str, FieldError]:
    """A new, active reference row at the end of its table; a code that is `reserved` or already
    used is taken."""
    code = _text(submitted.get("code"), 60)
    refused = _control_characters({**submitted, "code": code})
    if refused:
        return refused
    errors: dict[str, FieldError] = {}
    if not _CODE.match(code):
        errors["code"] = FieldError("code_pattern")
    elif reserved(code) or session.get(table.model, code) is not None:
        errors["code"] = FieldError("taken")
    name = _text(submitted.get("name"), 100)
    if not name:
        errors["name"] = FieldError("required")
    if errors:
        return errors
    sort_order = max(session.scalars(select(table.model.sort_order)), default=0) + 1
    flags = {flag: _checked(submitted.get(flag)) for flag in table.flags}
    row = table.model(
        code=code,
        name=name,
        name_en=_text(submitted.get("name_en"), 100),
        sort_order=sort_order,
        active=True,
        **flags,
    )
    session.add(row)
    added = changes_between({}, _snapshot(row, table.fields))
    record_admin_change(session, clock, actor, f"{table.subject}_added", table.subject, code, added)
    try:
        session.flush()
    except IntegrityError as err:  # added by someone else since the check above
        subject = table.subject.replace("_", " ")
        raise Conflict(f"{subject} {code} was added meanwhile", "taken", code=code) from err
    return {}


def save_department(
    session: Session,
    clock: Clock,
    actor: str,
    code: str,
    submitted: Mapping[str, Any],
    router: Router | None = None,
) -> dict[str, FieldError]:
    """Rename a department, retire it (refused while open tasks or active categories use it, naming
    them) or bring it back."""

    def in_use() -> dict[str, FieldError]:
        tasks, categories = department_uses(session, code, router)
        if tasks or categories:
            return {
                "active": FieldError("in_use", {"tasks": _named(tasks), "categories": _named(categories)})
            }
        return {}

    return _save_reference_row(session, clock, actor, _DEPARTMENTS, code, submitted, in_use)


def add_department(
    session: Session, clock: Clock, actor: str, submitted: Mapping[str, Any]
) -> dict[str, FieldError]:
    """A new department: its code is the candidate group of its handlers (diagrams may name it)."""
    return _add_reference_row(session, clock, actor, _DEPARTMENTS, submitted, reserved=is_role_name)


def save_case_source(
    session: Session, clock: Clock, actor: str, code: str, submitted: Mapping[str, Any]
) -> dict[str, FieldError]:
    """Rename a case source, say whether its cases are replied upstream (U1), retire it (intake no longer
    offers it; cases that have it keep it) or bring it back."""
    return _save_reference_row(session, clock, actor, _SOURCES, code, submitted)


def add_case_source(
    session: Session, clock: Clock, actor: str, submitted: Mapping[str, Any]
) -> dict[str, FieldError]:
    """A new case source (another platform or authority that forwards cases)."""
    return _add_reference_row(session, clock, actor, _SOURCES, submitted)
