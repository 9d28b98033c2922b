"""Every bundled diagram carries a complete BPMN DI layout, so it opens drawn in bpmn.io and Camunda
Modeler: a shape with bounds for every pool, lane, flow node and boundary event, an edge with at
least two waypoints for every sequence flow, shapes of a lane inside that lane, no two task shapes
overlapping."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.helpers import PROCESSES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
DRAWN = (
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "serviceTask",
    "task",
    "exclusiveGateway",
    "parallelGateway",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "lane",
    "participant",
)
DIAGRAMS = sorted(PROCESSES.glob("*.bpmn"))


def _bounds(shape: etree._Element) -> tuple[float, float, float, float]:
    b = shape.find("dc:Bounds", NS)
    assert b is not None
    return float(b.get("x")), float(b.get("y")), float(b.get("width")), float(b.get("height"))


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_the_diagram_is_fully_laid_out(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): _bounds(s) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    missing = [
        el.get("id")
        for tag in DRAWN
        for el in root.iterfind(f".//bpmn:{tag}", NS)
        if el.get("id") not in shapes
    ]
    assert missing == []
    flows = [f.get("id") for f in root.iterfind(".//bpmn:sequenceFlow", NS)]
    assert [f for f in flows if len(edges.get(f, [])) < 2] == []

    for lane in root.iterfind(".//bpmn:lane", NS):
        lx, ly, lw, lh = shapes[lane.get("id")]
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            x, y, w, h = shapes[ref.text]
            assert lx <= x and x + w <= lx + lw and ly <= y and y + h <= ly + lh, (
                f"{ref.text} outside lane {lane.get('id')}"
            )

    tasks = [
        el.get("id")
        for tag in ("userTask", "scriptTask", "task")
        for el in root.iterfind(f".//bpmn:{tag}", NS)
    ]
    for i, a in enumerate(tasks):
        ax, ay, aw, ah = shapes[a]
        for b in tasks[i + 1 :]:
            bx, by, bw, bh = shapes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, f"{a} overlaps {b}"
