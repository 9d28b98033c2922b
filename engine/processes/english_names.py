"""English names that may have fallen behind: a process owner renames a step (its `name`) in the modeler
and leaves its English name (the camunda property name_en) as it was. Said as a warning at validation
and deploy; it never keeps a diagram from being deployed."""

from __future__ import annotations

import unicodedata
from typing import Any

from engine.bpmn import UnsafeXml, element_properties, parse_xml
from engine.messages import as_params
from engine.processes.validation import DiagramWarning

_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _names(xml: bytes) -> dict[str, tuple[str, str]]:
    """{element id: (name, English name)} of every named BPMN element."""
    try:
        root = parse_xml(xml)
    except UnsafeXml:
        return {}
    names = {}
    for element in root.iter(f"{_BPMN}*"):
        element_id, name = element.get("id"), (element.get("name") or "").strip()
        if element_id and name:
            names[element_id] = (name, dict(element_properties(element)).get("name_en", "").strip())
    return names


def _same_words(name: str, other: str) -> bool:
    """Whether two names differ at most in the width of their punctuation (是否满意? and 是否满意？), which
    leaves nothing for the English name to follow."""
    return unicodedata.normalize("NFKC", name) == unicodedata.normalize("NFKC", other)


def stale_english_names(xml: bytes, previous: bytes | None, key: str | None = None) -> list[DiagramWarning]:
    """Elements whose name differs from the previous version's while their English name stayed the same."""
    if previous is None:
        return []
    before = _names(previous)
    warnings = []
    for element_id, (name, english) in _names(xml).items():
        old: Any = before.get(element_id)
        if old is None or not english or _same_words(old[0], name) or old[1] != english:
            continue
        params = as_params({"name": name, "old": old[0], "english": english})
        warnings.append(DiagramWarning(element_id, name, "stale-english-name", key, params))
    return warnings
