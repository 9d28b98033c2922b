"""People: users and roles, the customer register, the record of unmasked views (M6), masking.

The package's public face is its use cases (engine/people/use_cases.py): plain values and a unit of
work, never a commit. `from engine.people import record_customer_view`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.people.use_cases import (
        record_case_list_view,
        record_case_view,
        record_customer_view,
    )

__all__ = [
    "record_case_list_view",
    "record_case_view",
    "record_customer_view",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the use cases sit on top of the whole engine, while the engine's own lower
    # modules import from this package, so importing them here at once would make import cycles.
    if name in __all__:
        from engine.people import use_cases

        return getattr(use_cases, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
