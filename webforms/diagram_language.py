"""Diagrams as the viewer draws them in the user's language: in English every element that carries an
English name (its camunda:property name_en) is drawn with it, and a pool with its process's English name.
The stored diagram is never changed; the modeler edits the diagram itself (name and name_en)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import lxml.etree

from webforms.i18n import current_language

_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DC = "http://www.omg.org/spec/DD/20100524/DC"
# bpmn-js's width of a new label beside its element: a label the diagram sized for a Chinese name of a
# character or two gets this much room, so the English name wraps by words.
LABEL_WIDTH = 90.0
_ENGLISH_NAME = (
    f"{{{_BPMN}}}extensionElements/{{{_CAMUNDA}}}properties/{{{_CAMUNDA}}}property[@name='name_en']"
)


def shown_diagram(xml: str) -> str:
    """The diagram's XML with its names in the UI language."""
    return english_diagram(xml) if current_language() == "en" else xml


@lru_cache(maxsize=64)
def english_diagram(xml: str) -> str:
    """The diagram with each element's name replaced by its English name, where it has one; the XML
    unchanged when it cannot be read (the viewer then says why)."""
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(xml.encode("utf-8"), parser)
    except (lxml.etree.XMLSyntaxError, ValueError):
        return xml
    english = {}
    for element in root.iter(f"{{{_BPMN}}}*"):
        found = element.find(_ENGLISH_NAME)
        name = (found.get("value") or "").strip() if found is not None else ""
        if name:
            english[element.get("id")] = name
            element.set("name", name)
    for participant in root.iter(f"{{{_BPMN}}}participant"):
        process_name = english.get(participant.get("processRef"))
        if participant.get("id") not in english and process_name:
            participant.set("name", process_name)
    _widen_labels(root, set(english))
    return lxml.etree.tostring(root, encoding="unicode")


def _widen_labels(root: Any, renamed: set[str]) -> None:
    """Labels beside renamed elements at least LABEL_WIDTH wide, centred where they were."""
    for drawn in root.iter(f"{{{_DI}}}BPMNShape", f"{{{_DI}}}BPMNEdge"):
        if drawn.get("bpmnElement") not in renamed:
            continue
        bounds = drawn.find(f"{{{_DI}}}BPMNLabel/{{{_DC}}}Bounds")
        try:
            x, width = float(bounds.get("x")), float(bounds.get("width"))  # type: ignore[union-attr]
        except (AttributeError, TypeError, ValueError):
            continue
        if width < LABEL_WIDTH:
            bounds.set("x", f"{x - (LABEL_WIDTH - width) / 2:g}")
            bounds.set("width", f"{LABEL_WIDTH:g}")
