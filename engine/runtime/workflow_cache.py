"""Recently used workflow objects, kept by (instance id, version) so a unit of work need not
deserialize a case it just saved. Entries are published only after the transaction commits."""

from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.orm import Session

from engine.db import after_commit


class WorkflowCache:
    def __init__(self, capacity: int = 512) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: int, version: int) -> BpmnWorkflow | None:
        """Remove and return the workflow saved at this version, if this process holds it.

        Taken, not read: the caller mutates it, and a unit of work that rolls back must not leave a
        half-changed workflow behind.
        """
        with self._lock:
            item = self._items.pop(instance_id, None)
        if item is None or item[0] != version:
            return None
        return item[1]

    def put(self, instance_id: int, version: int, workflow: BpmnWorkflow) -> None:
        with self._lock:
            self._items[instance_id] = (version, workflow)
            self._items.move_to_end(instance_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def put_after_commit(
    session: Session, cache: WorkflowCache, instance_id: int, version: int, workflow: BpmnWorkflow
) -> None:
    """Keep the saved workflow once the transaction commits, so no one reuses a state that rolled back."""
    after_commit(session, lambda: cache.put(instance_id, version, workflow))
