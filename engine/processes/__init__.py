"""Process owners: deployment, versions, diff, migration, traceability.

The package's public face is its use cases (engine/processes/use_cases.py): plain values and a unit of
work, never a commit. `from engine.processes import save_diagram_draft`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.processes.use_cases import (
        deploy_diagram,
        deploy_latest_draft,
        migrate_cases,
        roll_back_to,
        save_diagram_draft,
    )

__all__ = [
    "deploy_diagram",
    "deploy_latest_draft",
    "migrate_cases",
    "roll_back_to",
    "save_diagram_draft",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the use cases sit on top of the whole engine, while the engine's own lower
    # modules import from this package, so importing them here at once would make import cycles.
    if name in __all__:
        from engine.processes import use_cases

        return getattr(use_cases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
