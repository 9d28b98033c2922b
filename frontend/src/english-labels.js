// The modeler in English: each element is drawn with its English name (the camunda property name_en)
// where it has one. Only what is drawn changes: the diagram keeps its own names, and editing a label
// on the canvas edits the element's name; the English name is edited among its extension properties.

export function englishName(businessObject) {
  const extensions = (businessObject && businessObject.extensionElements
    && businessObject.extensionElements.values) || [];
  for (const extension of extensions) {
    if (extension.$type === 'camunda:Properties') {
      const found = (extension.values || []).find((property) => property.name === 'name_en');
      if (found && found.value && found.value.trim()) {
        return found.value.trim();
      }
    }
  }
  return '';
}

function namesIn(businessObjects) {
  const english = new Map();
  for (const bo of businessObjects) {
    const name = bo && bo.name;
    const translated = englishName(bo) || (bo && bo.processRef ? englishName(bo.processRef) : '');
    if (name && translated) {
      english.set(name, translated);
    }
  }
  return english;
}

const LABEL_WIDTH = 90;  // bpmn-js's own width of a new external label

function EnglishLabels(eventBus, textRenderer, elementRegistry) {
  let english = new Map();
  const shown = (text) => (text && english.get(text)) || text;

  // Before the import draws anything: every parsed element. Before a change is drawn again: the diagram as now.
  eventBus.on('import.parse.complete', (event) => {
    english = namesIn(Object.values(event.elementsById || {}));
  });
  eventBus.on('elements.changed', 5000, () => {
    english = namesIn(elementRegistry.getAll().map((element) => element.businessObject));
  });

  const createText = textRenderer.createText.bind(textRenderer);
  const externalBounds = textRenderer.getExternalLabelBounds.bind(textRenderer);
  // A label beside its element (an event's, a gateway's, a flow's) has the box the diagram stored for
  // the Chinese name, often a character or two wide: the English name gets room to wrap by words,
  // centred where the Chinese one was.
  textRenderer.createText = (text, options = {}) => {
    const box = options.box;
    if (options.align || !box || !english.has(text) || box.width >= LABEL_WIDTH) {
      return createText(shown(text), options);
    }
    const drawn = createText(shown(text), { ...options, box: { ...box, width: LABEL_WIDTH } });
    drawn.setAttribute('transform', `translate(${(box.width - LABEL_WIDTH) / 2}, 0)`);
    return drawn;
  };
  textRenderer.getExternalLabelBounds = (bounds, text) => externalBounds(bounds, shown(text));
}

EnglishLabels.$inject = ['eventBus', 'textRenderer', 'elementRegistry'];

export default {
  __init__: ['englishLabels'],
  englishLabels: ['type', EnglishLabels],
};
