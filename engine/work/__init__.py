"""Staff's work: intake, the tasklist, claims, drafts, attachments, messages.

The package's public face is its use cases (engine/work/use_cases.py): plain values and a unit of
work, never a commit. `from engine.work import save_task_draft`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.work.use_cases import (
        RecordedCall,
        SiteArrival,
        arrive_on_site,
        attach_file,
        claim_task,
        complete_task,
        mark_notifications_read,
        reassign_task,
        record_call,
        release_task,
        save_task_draft,
    )

__all__ = [
    "RecordedCall",
    "SiteArrival",
    "arrive_on_site",
    "attach_file",
    "claim_task",
    "complete_task",
    "mark_notifications_read",
    "reassign_task",
    "record_call",
    "release_task",
    "save_task_draft",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the use cases sit on top of the whole engine, while the engine's own lower
    # modules import from this package, so importing them here at once would make import cycles.
    if name in __all__:
        from engine.work import use_cases

        return getattr(use_cases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
