"""Camunda 7 reads the extensions of its predecessor, Activiti (namespace http://activiti.org/bpmn), as
its own: `activiti:candidateGroups` is `camunda:candidateGroups`. So does this engine, by renaming them
when a file is read, so every reader of a diagram sees one namespace."""

from __future__ import annotations

from typing import Any

ACTIVITI_NS = "http://activiti.org/bpmn"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_ACTIVITI = f"{{{ACTIVITI_NS}}}"
_CAMUNDA = f"{{{CAMUNDA_NS}}}"


def read_activiti_as_camunda(root: Any) -> Any:
    """The same tree, its Activiti elements and attributes in the Camunda namespace."""
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag.startswith(_ACTIVITI):
            node.tag = _CAMUNDA + node.tag[len(_ACTIVITI) :]
        for name in [n for n in node.attrib if n.startswith(_ACTIVITI)]:
            value = node.attrib.pop(name)
            node.set(_CAMUNDA + name[len(_ACTIVITI) :], value)
    return root
