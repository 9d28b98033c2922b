// A read-only diagram: renders BPMN XML into a container and marks element states.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import { markElements } from './markers.js';

async function show(container, xml, markers) {
  const viewer = new NavigatedViewer({ container });
  const { warnings } = await viewer.importXML(xml);
  viewer.get('canvas').zoom('fit-viewport');
  const missing = markElements(viewer, markers);
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
