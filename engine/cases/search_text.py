"""One normalized text per case that the tasklist's search looks in: case number, customer name, phone
and address, lower-cased, kept in `process_instance.search_text` with every save of the case.

One column instead of an OR over four lets one index answer a search (a trigram index on PostgreSQL; a
narrow index SQLite scans instead of the wide case rows).
"""

from __future__ import annotations

from collections.abc import Iterable

# Between the parts, so a search cannot match across two of them (nobody types this character).
SEPARATOR = "\x1f"
MAX_LENGTH = 700


def normalized(text: str) -> str:
    """What a search compares: without surrounding or inner runs of spaces, lower-case."""
    return " ".join(text.split()).lower()


def search_text(parts: Iterable[str | None]) -> str:
    return SEPARATOR.join(normalized(part or "") for part in parts)[:MAX_LENGTH]
