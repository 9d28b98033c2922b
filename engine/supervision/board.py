"""The overdue board: open tasks past due, due within the hour or warned by their graded deadline
(yellow, engine.cases.deadline_steps), grouped by the department (or group)
that has to act, the worst first. Read from the task projection."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.cases import readable_cases
from engine.db import HumanTask, ProcessInstance
from engine.runtime import Actor

SOON = timedelta(hours=1)
ROW_LIMIT = 500


@dataclass(frozen=True)
class BoardItem:
    task: HumanTask
    late_by: timedelta  # negative: still due in that long

    @property
    def overdue(self) -> bool:
        return self.late_by > timedelta(0)

    @property
    def warned(self) -> bool:
        """A graded deadline's warning fired and the deadline has not passed yet (yellow)."""
        return not self.overdue and self.task.warned_at is not None


@dataclass
class BoardGroup:
    groups: str  # the task's candidate groups, as stored (a department's code is its handlers' group)
    total: int  # all its late or nearly late tasks, also those beyond the rows shown
    overdue: int
    items: list[BoardItem] = field(default_factory=list)

    def rank(self) -> tuple[float, str]:
        """Sorts the worst group first: the one whose first task is the longest overdue."""
        worst = self.items[0].late_by.total_seconds() if self.items else -math.inf
        return (-worst, self.groups)


def _late_or_soon(now: datetime, actor: Actor | None = None) -> list[ColumnElement[bool]]:
    where = [
        HumanTask.status == "open",
        HumanTask.due_at.is_not(None),
        or_(HumanTask.due_at < now + SOON, HumanTask.warned_at.is_not(None)),
    ]
    readable = readable_cases(actor) if actor is not None else None
    if readable is not None:
        # In a subquery of its own: the rule's own look-ups of tasks must not correlate with this task.
        where.append(HumanTask.instance_id.in_(select(ProcessInstance.id).where(readable)))
    return where


def overdue_board(
    session: Session, now: datetime, groups: str = "", limit: int = ROW_LIMIT, actor: Actor | None = None
) -> list[BoardGroup]:
    """Groups ordered by their worst task (the longest overdue first); within a group, the longest
    overdue first, then those falling due soonest. `groups` keeps one group only; `actor`: only the
    cases this person may open (None: every case)."""
    where = _late_or_soon(now, actor) + ([HumanTask.candidate_groups == groups] if groups else [])
    counts = session.execute(
        select(
            HumanTask.candidate_groups,
            func.count(HumanTask.id),
            func.count(HumanTask.id).filter(HumanTask.due_at < now),
        )
        .where(*where)
        .group_by(HumanTask.candidate_groups)
    ).all()
    board = {key: BoardGroup(key, total, late) for key, total, late in counts}
    tasks = session.scalars(
        select(HumanTask)
        .options(joinedload(HumanTask.instance))
        .where(*where)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(limit)
    )
    for task in tasks:
        assert task.due_at is not None
        board[task.candidate_groups].items.append(BoardItem(task, now - task.due_at))
    return sorted(board.values(), key=BoardGroup.rank)


def board_group_names(session: Session, now: datetime, actor: Actor | None = None) -> list[str]:
    """The groups that have something on the board (of the cases `actor` may open), for the filter."""
    return list(
        session.scalars(
            select(HumanTask.candidate_groups)
            .where(*_late_or_soon(now, actor))
            .distinct()
            .order_by(HumanTask.candidate_groups)
        )
    )
