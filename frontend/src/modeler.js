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

function create(container, panel) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: panel },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule,
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

function markProblems(modeler, problemIds) {
  const canvas = modeler.get('canvas');
  const registry = modeler.get('elementRegistry');
  for (const element of registry.getAll()) {
    canvas.removeMarker(element.id, 'hotline-failed');
  }
  return markElements(modeler, { failed: problemIds });
}

window.HotlineModeler = { create, open, currentXML, markProblems };
