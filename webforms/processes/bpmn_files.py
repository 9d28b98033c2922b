"""Diagrams that come from the browser: an uploaded or edited .bpmn checked before anything reads it,
and the blank diagram a new procedure starts from."""

from __future__ import annotations

import re
from xml.sax.saxutils import quoteattr

from engine.bpmn import BPMN_NS, UnsafeXml, parse_xml

PROCESS_KEY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def checked_diagram(data: bytes) -> bytes:
    """The bytes of a BPMN 2.0 file, unchanged, once they are known to be one (size-capped, UTF-8,
    no DTD or entities, well-formed, bpmn:definitions at the root); raises UnsafeXml with its code."""
    if not data.strip():
        raise UnsafeXml("empty", "the file is empty")
    root = parse_xml(data)
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise UnsafeXml("not-bpmn", "the root element is not bpmn:definitions")
    return data


def blank_diagram(key: str, name: str) -> bytes:
    """One pool holding one executable process with the owner's key and name, and its start event, drawn."""
    if not PROCESS_KEY.match(key):
        raise ValueError(f"not a process key: {key!r}")
    name_attr = quoteattr(name)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collaboration_{key}">
    <bpmn:participant id="Participant_{key}" name={name_attr} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={name_attr} isExecutable="true">
    <bpmn:startEvent id="start" name="开始" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collaboration_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" isHorizontal="true">
        <dc:Bounds x="120" y="80" width="900" height="260" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="200" y="192" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()
