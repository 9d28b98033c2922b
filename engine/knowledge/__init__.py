"""The knowledge base: answers the hotline gives on the spot, their versions and reviews, and the search
that suggests them while a call is taken (with the outages going on now)."""

from engine.knowledge.entries import (
    REVIEW_AFTER,
    EntryValues,
    add_entry,
    entries_due_for_review,
    entry_values,
    entry_versions,
    mark_reviewed,
    review_due,
    revise_entry,
    valid_on,
)
from engine.knowledge.search import Found, current_outages_for, search_entries
from engine.knowledge.terms import load_dictionary, terms_of
from engine.knowledge.use_cases import add_entry_form, review_entry, revise_entry_form

__all__ = [
    "REVIEW_AFTER",
    "EntryValues",
    "Found",
    "add_entry",
    "add_entry_form",
    "current_outages_for",
    "entries_due_for_review",
    "entry_values",
    "entry_versions",
    "load_dictionary",
    "mark_reviewed",
    "review_due",
    "review_entry",
    "revise_entry",
    "revise_entry_form",
    "search_entries",
    "terms_of",
    "valid_on",
]
