// A read-only diagram: renders BPMN XML into a container and marks element states.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { markElements } from './markers.js';

// Below this scale a whole diagram fitted into a phone's width cannot be read.
const READABLE_ZOOM = 0.6;
const FOCUS_STATES = ['failed', 'overdue', 'active'];
// Wider containers (a desktop) show the whole diagram, as a supervisor reads it there.
const NARROW_WIDTH = 600;

// On a narrow screen, a wide diagram fitted whole is too small to read: show the case's current steps
// at a readable size instead (the viewer can still be dragged and zoomed to see the rest).
function focusOnCurrentSteps(container, viewer, markers) {
  const canvas = viewer.get('canvas');
  if (container.clientWidth > NARROW_WIDTH || canvas.zoom() >= READABLE_ZOOM) return false;
  const registry = viewer.get('elementRegistry');
  const ids = FOCUS_STATES.flatMap((state) => (markers && markers[state]) || []);
  const shapes = ids.map((id) => registry.get(id)).filter((shape) => shape && shape.width !== undefined);
  if (!shapes.length) return false;
  const left = Math.min(...shapes.map((s) => s.x));
  const top = Math.min(...shapes.map((s) => s.y));
  const right = Math.max(...shapes.map((s) => s.x + s.width));
  const bottom = Math.max(...shapes.map((s) => s.y + s.height));
  canvas.zoom(READABLE_ZOOM, { x: (left + right) / 2, y: (top + bottom) / 2 });
  const viewbox = canvas.viewbox();
  canvas.viewbox({
    x: (left + right) / 2 - viewbox.width / 2,
    y: (top + bottom) / 2 - viewbox.height / 2,
    width: viewbox.width,
    height: viewbox.height,
  });
  return true;
}

async function show(container, xml, markers) {
  const viewer = new NavigatedViewer({ container });
  const { warnings } = await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');
  const missing = markElements(viewer, markers);
  container.dataset.focused = String(focusOnCurrentSteps(container, viewer, markers));
  container.dataset.rendered = 'true';
  container.dataset.warnings = String(warnings.length);
  return { viewer, warnings, missing };
}

async function showAll() {
  for (const container of document.querySelectorAll('[data-bpmn-viewer]')) {
    const source = document.getElementById(container.dataset.bpmnViewer);
    const markersSource = container.dataset.markers && document.getElementById(container.dataset.markers);
    const markers = markersSource ? JSON.parse(markersSource.textContent) : {};
    try {
      await show(container, source.textContent, markers);
    } catch (error) {
      container.dataset.error = String(error && error.message ? error.message : error);
    }
  }
}

window.HotlineViewer = { show, showAll };
document.addEventListener('DOMContentLoaded', showAll);
