"""Supervision: the overdue board, KPIs, callback sampling, the shift handover, reports.

The package's public face is its use cases (engine/supervision/use_cases.py): plain values and a unit of
work, never a commit. `from engine.supervision import retry_incident`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.supervision.use_cases import (
        acknowledge_handover,
        choose_notable_cases,
        hand_over_shift,
        retry_incident,
    )

__all__ = [
    "acknowledge_handover",
    "choose_notable_cases",
    "hand_over_shift",
    "retry_incident",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the use cases sit on top of the whole engine, while the engine's own lower
    # modules import from this package, so importing them here at once would make import cycles.
    if name in __all__:
        from engine.supervision import use_cases

        return getattr(use_cases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
