"""Small states: the finished past of a workflow cut off before it is saved.

SpiffWorkflow keeps every task it ever made. A case that loops (a complaint sent back to the
department again and again) grows by every task of every iteration, although only the tasks still
running and a few of their ancestors can ever be read again. History lives in `event` and the case
page reads the projections, so the finished past is dead weight in the stored state.

`compact` cuts it off, in place, before the workflow is serialized. With C the deepest task that is an
ancestor-or-self of every unfinished task (where the running part of the workflow hangs), it keeps:

- the root (the workflow's `task_tree`) and everything below C, untouched;
- C's parent (a task that becomes ready inherits its parent's data);
- the branches parked at their end (a WAITING end join: a fired deadline's branch that waits for the
  case to end), with their end event, hung from the root;
- for every split a structured join looks for (`find_ancestor(split_task)`: boundary events, event
  start splits), the nearest ancestor of C of that split — `find_ancestor` finds the nearest one, so
  older ones of the same spec can never be found.

Everything else above C — the finished tasks of earlier iterations and the finished branches that
hang off them — is removed, and each kept task hangs from its nearest kept ancestor, so the ancestor
order of kept tasks stays what it was; a `last_task` that was cut off becomes C's parent (where
`run_next` starts looking: just above what runs). The bpmn ids of what was removed are kept (`passed_element_ids`)
for the one question that asks about the whole past: which elements a case has passed (a process
migration refuses to remove an element a case went through).

Not compacted, left exactly as SpiffWorkflow keeps them: workflows with subprocesses or call
activities, and diagrams with parallel or inclusive joins (their joins compare task instances across
the whole tree, finished branches included), and workflows with no unfinished task (closed cases). A
parallel gateway with one incoming flow only splits (a lead department and its assisting parts, 主办/协办):
it fires as soon as it is reached and is no join. While the branches it opened are all unfinished, the
meeting point is above them and their past stays until one of them ends.
The end join every diagram has is one of those joins, but harmless: it fires once nothing else is
unfinished, and merges the data of the end events that reached it — kept, as the parked branches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

_PASSED_ATTRIBUTE = "_hotline_passed_element_ids"


def passed_element_ids(workflow: BpmnWorkflow) -> set[str]:
    """The bpmn ids of elements whose tasks were cut off by `compact` (all finished)."""
    found: set[str] = set(getattr(workflow, _PASSED_ATTRIBUTE, ()))
    return found


def set_passed_element_ids(workflow: BpmnWorkflow, element_ids: Iterable[str]) -> None:
    setattr(workflow, _PASSED_ATTRIBUTE, frozenset(element_ids))


@dataclass(frozen=True)
class _SpecShape:
    """What compaction asks of a process's spec, the same for every case of it."""

    joins_across_branches: bool  # a parallel or inclusive join: not compacted
    splits: frozenset[str]  # the splits structured joins look for (`split_task`)


# By spec object: a parsed definition's spec lives as long as the runtime's spec cache keeps it.
_SHAPES: WeakKeyDictionary[Any, _SpecShape] = WeakKeyDictionary()


def _shape(workflow: BpmnWorkflow) -> _SpecShape:
    spec = workflow.spec
    shape = _SHAPES.get(spec)
    if shape is None:
        specs = spec.task_specs.values()
        shape = _SpecShape(
            # A parallel gateway with one incoming flow only splits (the complaint's lead and assisting
            # departments): it joins nothing.
            any(
                isinstance(s, UnstructuredJoin) and not isinstance(s, _EndJoin) and len(s.inputs) > 1
                for s in specs
            ),
            frozenset(name for s in specs if (name := getattr(s, "split_task", None))),
        )
        _SHAPES[spec] = shape
    return shape


def can_compact(workflow: BpmnWorkflow) -> bool:
    if workflow.subprocesses or workflow.subprocess_specs:
        return False
    return not _shape(workflow).joins_across_branches


def _ancestors(task: Task) -> list[Task]:
    """The task's ancestors, nearest first."""
    tasks = task.workflow.tasks
    found: list[Task] = []
    parent_id = task._parent
    while parent_id is not None and parent_id in tasks:
        parent = tasks[parent_id]
        found.append(parent)
        parent_id = parent._parent
    return found


def _meeting_point(workflow: BpmnWorkflow, unfinished: list[Task]) -> Task:
    """The deepest task that is an ancestor-or-self of every unfinished task."""
    tasks = workflow.tasks
    common: list[Task] = [*reversed(_ancestors(unfinished[0])), unfinished[0]]  # root first
    # For each task met so far: the depth of the common lineage its way up reaches first. A task's
    # way up ends at the first task met before, so every task is walked through once.
    meets: dict[Task, int] = {task: depth for depth, task in enumerate(common)}
    deepest = len(common) - 1
    for task in unfinished[1:]:
        path: list[Task] = []
        current: Task | None = task
        while current is not None and current not in meets:
            path.append(current)
            parent_id = current._parent
            current = tasks[parent_id] if parent_id is not None and parent_id in tasks else None
        if current is None:
            return workflow.task_tree
        depth = meets[current]
        for passed in path:
            meets[passed] = depth
        deepest = min(deepest, depth)
    return common[deepest]


def compact(workflow: BpmnWorkflow) -> int:
    """Remove the finished past that can no longer be read (see the module's doc); return how many
    tasks were removed."""
    if not can_compact(workflow):
        return 0
    waiting, not_finished = TaskState.WAITING, TaskState.NOT_FINISHED_MASK
    parked = [t for t in workflow.tasks.values() if t.state == waiting and isinstance(t.task_spec, _EndJoin)]
    below_parked: set[UUID] = set()
    for task in parked:
        below_parked |= _subtree_ids(task)
    unfinished = [t for t in workflow.tasks.values() if t.state & not_finished and t.id not in below_parked]
    if not unfinished:
        return 0
    point = _meeting_point(workflow, unfinished)
    above = _ancestors(point)  # nearest first, root last
    if len(above) < 2:
        return 0
    keep: set[UUID] = {workflow.task_tree.id, above[0].id}
    splits = set(_shape(workflow).splits)
    kept_splits: set[UUID] = set()
    for index, task in enumerate(above):
        if task.task_spec.name in splits:
            # The split with its children: a join counts the split's children (the main task and
            # its boundary events).
            keep.add(task.id)
            kept_splits.add(task.id)
            if index > 0:
                keep.add(above[index - 1].id)
            splits.discard(task.task_spec.name)
    kept_chain = [t for t in reversed(above) if t.id in keep]  # root first
    if len(kept_chain) == len(above):
        return 0
    # Everything above C goes but the kept chain: the chain's other tasks and the finished branches
    # that hang off the chain (finished: every unfinished task is below C), except those of a kept split.
    chain_ids = {t.id for t in above} | {point.id}
    doomed: set[UUID] = set()
    for task in above:
        if task.id not in keep:
            doomed.add(task.id)
        if task.id in kept_splits:
            continue
        for child in task.children:
            if child.id not in chain_ids:
                doomed |= _subtree_ids(child)
    for task in parked:
        _rehang_parked(workflow, task, doomed)
    passed = passed_element_ids(workflow)
    for task_id in doomed:
        bpmn_id = workflow.tasks[task_id].task_spec.bpmn_id
        if bpmn_id:
            passed.add(bpmn_id)
    order = [*kept_chain, point]
    for upper, lower in zip(order, order[1:], strict=False):
        upper._children = [
            lower.id if child in chain_ids else child
            for child in upper._children
            if child in chain_ids or child not in doomed
        ]
        lower._parent = upper.id
    for task_id in doomed:
        del workflow.tasks[task_id]
    if workflow.last_task is not None and workflow.last_task.id in doomed:
        workflow.last_task = above[0]  # run_next looks below it first: where the workflow runs
    set_passed_element_ids(workflow, passed)
    return len(doomed)


def _rehang_parked(workflow: BpmnWorkflow, task: Task, doomed: set[UUID]) -> None:
    """A branch that reached its end event waits there (the end join, WAITING) for the rest of the
    case. Where it hangs in the past about to be cut off, keep its end event and end join and hang
    them from the root: the end join only asks whether anything else is unfinished, and takes the
    data of its end event when the case ends."""
    end_event = task.parent
    if task.id not in doomed or end_event is None:
        return
    doomed -= _subtree_ids(end_event)
    old_parent = end_event.parent
    if old_parent is not None and old_parent.id not in doomed:
        old_parent._children = [child for child in old_parent._children if child != end_event.id]
    end_event._parent = workflow.task_tree.id
    workflow.task_tree._children.append(end_event.id)


def _subtree_ids(task: Task) -> set[UUID]:
    found: set[UUID] = set()
    stack = [task]
    while stack:
        current = stack.pop()
        found.add(current.id)
        stack.extend(c for c in current.children if c is not None)
    return found
