"""What changed between two versions of a process: elements added, removed or changed, and how.

Elements are matched by id (the modeler keeps ids when an element is edited). A change is what a
process owner would care about: type, name, who may do a task, its form fields, conditions, scripts,
timers, documentation and properties. Moving a shape in the drawing is not a change of the process.
Each change is a code with parameters (engine/messages.py), so the pages can say it in the user's
language; the templates and element kinds are marked with `N_` for the catalogs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from lxml import etree
from sqlalchemy.orm import Session

from engine.bpmn import BPMN_NS, parse_xml
from engine.cases import get_version
from engine.messages import N_, Coded, as_params
from engine.processes.validation import NS

CHANGES: dict[str, str] = {
    "added": N_("%(type)s added"),
    "removed": N_("%(type)s removed"),
    "type": N_("type changed from %(old)s to %(new)s"),
    "name": N_("name changed from '%(old)s' to '%(new)s'"),
    "attribute": N_("%(attribute)s changed from '%(old)s' to '%(new)s'"),
    "documentation": N_("documentation changed"),
    "condition": N_("condition changed from '%(old)s' to '%(new)s'"),
    "script": N_("script changed"),
    "timer": N_("timer changed from '%(old)s' to '%(new)s'"),
    "field-added": N_("form field '%(field)s' added"),
    "field-removed": N_("form field '%(field)s' removed"),
    "field-changed": N_("form field '%(field)s' changed"),
    "properties": N_("properties changed"),
}
# Element kinds as a process owner calls them (others keep their BPMN name).
ELEMENT_TYPES: dict[str, str] = {
    "userTask": N_("user task"),
    "scriptTask": N_("script task"),
    "serviceTask": N_("service task"),
    "task": N_("task"),
    "sequenceFlow": N_("sequence flow"),
    "exclusiveGateway": N_("exclusive gateway"),
    "parallelGateway": N_("parallel gateway"),
    "inclusiveGateway": N_("inclusive gateway"),
    "startEvent": N_("start event"),
    "endEvent": N_("end event"),
    "boundaryEvent": N_("boundary event"),
    "intermediateCatchEvent": N_("intermediate event"),
    "intermediateThrowEvent": N_("intermediate event"),
    "lane": N_("lane"),
    "subProcess": N_("subprocess"),
}
_TRANSLATED_PARAMS = {"added": ("type",), "removed": ("type",), "type": ("old", "new")}
# Children folded into their element's description, or pure diagram bookkeeping.
_NOT_ELEMENTS = (
    "laneSet",
    "incoming",
    "outgoing",
    "documentation",
    "extensionElements",
    "conditionExpression",
    "script",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "flowNodeRef",
)
_IGNORED_ATTRIBUTES = {"id", "name"}


@dataclass(frozen=True)
class Change(Coded):
    """One way an element changed: a code with parameters (the element kinds are said in the message's
    language too)."""

    TEMPLATES: ClassVar[Mapping[str, str]] = CHANGES
    TRANSLATED_PARAMS: ClassVar[Mapping[str, tuple[str, ...]]] = _TRANSLATED_PARAMS

    code: str
    params: tuple[tuple[str, str], ...] = ()


def _change(code: str, **params: Any) -> Change:
    return Change(code, as_params(params))


class ElementChange(NamedTuple):
    element_id: str
    element_name: str
    what: tuple[Change, ...]


@dataclass
class VersionDiff:
    key: str
    from_version: int
    to_version: int
    added: list[ElementChange] = field(default_factory=list)
    removed: list[ElementChange] = field(default_factory=list)
    changed: list[ElementChange] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def markers(self) -> dict[str, list[str]]:
        """Element ids by kind of change, for the diagram viewer (both diagrams share the ids)."""
        return {
            "added": [c.element_id for c in self.added],
            "changed": [c.element_id for c in self.changed],
            "removed": [c.element_id for c in self.removed],
        }


@dataclass(frozen=True)
class _Element:
    id: str
    type: str
    name: str
    attributes: tuple[tuple[str, str], ...]
    documentation: str
    condition: str
    script: str
    timer: str
    fields: dict[str, str]
    properties: str


def _kind(element_type: str) -> str:
    return ELEMENT_TYPES.get(element_type, element_type)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(node: Any, path: str) -> str:
    return (node.findtext(path, "", NS) or "").strip()


def _describe(node: Any) -> _Element:
    timer = ""
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        found = node.find(f"bpmn:timerEventDefinition/bpmn:{kind}", NS)
        if found is not None:
            timer = f"{kind} {(found.text or '').strip()}"
    fields = {
        f.get("id"): etree.tostring(f, method="c14n").decode()
        for f in node.iterfind("bpmn:extensionElements/camunda:formData/camunda:formField", NS)
    }
    properties = "".join(
        etree.tostring(p, method="c14n").decode()
        for p in node.iterfind("bpmn:extensionElements/camunda:properties", NS)
    )
    attributes = tuple(
        sorted((_local(k), v) for k, v in node.attrib.items() if _local(k) not in _IGNORED_ATTRIBUTES)
    )
    return _Element(
        id=node.get("id"),
        type=_local(node.tag),
        name=node.get("name") or "",
        attributes=attributes,
        documentation=_text(node, "bpmn:documentation"),
        condition=_text(node, "bpmn:conditionExpression"),
        script=_text(node, "bpmn:script"),
        timer=timer,
        fields=fields,
        properties=properties,
    )


def diagram_elements(xml: bytes) -> dict[str, _Element]:
    """The process's elements by id (flow nodes, flows, boundary events, lanes), with what matters of each."""
    root = parse_xml(xml)
    elements = {}
    for process in root.iterfind("bpmn:process", NS):
        for node in process.iter(f"{{{BPMN_NS}}}*"):
            local = _local(node.tag)
            if not node.get("id") or local in _NOT_ELEMENTS or local.endswith("EventDefinition"):
                continue
            elements[node.get("id")] = _describe(node)
    return elements


def _compare(old: _Element, new: _Element) -> list[Change]:
    changes = []
    if old.type != new.type:
        changes.append(_change("type", old=_kind(old.type), new=_kind(new.type)))
    if old.name != new.name:
        changes.append(_change("name", old=old.name, new=new.name))
    old_attrs, new_attrs = dict(old.attributes), dict(new.attributes)
    for attribute in sorted(old_attrs.keys() | new_attrs.keys()):
        if old_attrs.get(attribute) != new_attrs.get(attribute):
            changes.append(
                _change(
                    "attribute",
                    attribute=attribute,
                    old=old_attrs.get(attribute),
                    new=new_attrs.get(attribute),
                )
            )
    if old.condition != new.condition:
        changes.append(_change("condition", old=old.condition, new=new.condition))
    if old.script != new.script:
        changes.append(_change("script"))
    if old.timer != new.timer:
        changes.append(_change("timer", old=old.timer, new=new.timer))
    for field_id in sorted(new.fields.keys() - old.fields.keys()):
        changes.append(_change("field-added", field=field_id))
    for field_id in sorted(old.fields.keys() - new.fields.keys()):
        changes.append(_change("field-removed", field=field_id))
    for field_id in sorted(old.fields.keys() & new.fields.keys()):
        if old.fields[field_id] != new.fields[field_id]:
            changes.append(_change("field-changed", field=field_id))
    if old.documentation != new.documentation:
        changes.append(_change("documentation"))
    if old.properties != new.properties:
        changes.append(_change("properties"))
    return changes


def diff_diagrams(
    key: str, from_version: int, to_version: int, old_xml: bytes, new_xml: bytes
) -> VersionDiff:
    old, new = diagram_elements(old_xml), diagram_elements(new_xml)
    diff = VersionDiff(key, from_version, to_version)
    for element_id in new.keys() - old.keys():
        element = new[element_id]
        diff.added.append(
            ElementChange(element_id, element.name, (_change("added", type=_kind(element.type)),))
        )
    for element_id in old.keys() - new.keys():
        element = old[element_id]
        diff.removed.append(
            ElementChange(element_id, element.name, (_change("removed", type=_kind(element.type)),))
        )
    for element_id in old.keys() & new.keys():
        changes = _compare(old[element_id], new[element_id])
        if changes:
            diff.changed.append(
                ElementChange(element_id, new[element_id].name or old[element_id].name, tuple(changes))
            )
    for part in (diff.added, diff.removed, diff.changed):
        part.sort(key=lambda c: c.element_id)
    return diff


def diff_versions(session: Session, key: str, from_version: int, to_version: int) -> VersionDiff:
    """What changed from one deployed version of the process to another."""
    old, new = get_version(session, key, from_version), get_version(session, key, to_version)
    return diff_diagrams(
        key, from_version, to_version, old.bpmn_xml.encode("utf-8"), new.bpmn_xml.encode("utf-8")
    )
