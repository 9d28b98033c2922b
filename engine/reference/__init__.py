"""Reference data: departments and categories with their routes and deadlines.

The package's public face is its use cases (engine/reference/use_cases.py): plain values and a unit of
work, never a commit. `from engine.reference import save_department_form`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.reference.use_cases import (
        save_category_form,
        save_department_form,
    )

__all__ = [
    "save_category_form",
    "save_department_form",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the use cases sit on top of the whole engine, while the engine's own lower
    # modules import from this package, so importing them here at once would make import cycles.
    if name in __all__:
        from engine.reference import use_cases

        return getattr(use_cases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
