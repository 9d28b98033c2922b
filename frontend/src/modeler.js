// The diagram editor: bpmn-js with its properties panel and the Camunda 7 extensions,
// so form fields, candidate groups, timers and conditions are edited where they live.
import BpmnModeler from 'bpmn-js/lib/Modeler';
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from 'bpmn-js-properties-panel';
import CamundaBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-platform';
import camundaModdle from 'camunda-bpmn-moddle/resources/camunda.json';
import { markElements } from './markers.js';
import EnglishLabelsModule from './english-labels.js';
import translateToChinese from './zh-CN.js';
import { translatePanelChrome } from './panel-chrome.js';

// In Chinese the tools, menus and properties panel speak Chinese; in English the diagram is drawn with
// its English names (the modeler's own texts are English already).
function languageModules(language) {
  if (language === 'en') {
    return [EnglishLabelsModule];
  }
  return [{ translate: ['value', translateToChinese] }];
}

function create(container, panel, language) {
  if (language !== 'en') {
    translatePanelChrome(panel, translateToChinese);
  }
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: panel },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
      ...languageModules(language),
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
}

async function open(modeler, xml) {
  const { warnings } = await modeler.importXML(xml);
  modeler.get('canvas').zoom('fit-viewport');
  return warnings;
}

async function currentXML(modeler) {
  const { xml } = await modeler.saveXML({ format: true });
  return xml;
}

// A problem about a process names the process id, which is drawn as its pool (participant).
function shapeOf(modeler, id) {
  const registry = modeler.get('elementRegistry');
  return registry.get(id) || registry.find(
    (element) => element.businessObject && element.businessObject.processRef
      && element.businessObject.processRef.id === id) || null;
}

function markProblems(modeler, problemIds) {
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  for (const element of registry.getAll()) {
    canvas.removeMarker(element.id, 'hotline-failed');
  }
  const shown = problemIds.map((id) => (shapeOf(modeler, id) || { id }).id);
  return markElements(modeler, { failed: shown });
}

// Selects the element (its properties open in the panel) and scrolls the canvas to it.
function selectElement(modeler, id) {
  const element = shapeOf(modeler, id);
  if (!element) {
    return false;
  }
  modeler.get('selection').select(element);
  if (element.waypoints || element.width) {
    modeler.get('canvas').scrollToElement(element, { top: 120, bottom: 120, left: 120, right: 120 });
  }
  return true;
}

// Fits the diagram into the part of the canvas the tool palette leaves free (it floats on the left).
function fitBesidePalette(modeler) {
  const canvas = modeler.get('canvas');
  const container = canvas.getContainer();
  const palette = container.querySelector('.djs-palette');
  canvas.zoom('fit-viewport');
  if (!palette) {
    return;
  }
  const room = palette.getBoundingClientRect().right - container.getBoundingClientRect().left + 16;
  const { outer } = canvas.viewbox();
  if (outer.width > room * 2) {
    canvas.zoom(canvas.zoom() * ((outer.width - room) / outer.width), { x: outer.width, y: 0 });
  }
}

// Calls back whenever the diagram is edited (or an edit undone).
function onChange(modeler, callback) {
  modeler.get('eventBus').on('commandStack.changed', callback);
}

window.HotlineModeler = { create, open, currentXML, markProblems, selectElement, onChange, fitBesidePalette };
