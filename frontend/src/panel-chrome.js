// The properties panel draws some of its own buttons (a section's toggle, a list's "Create", "Delete
// item", "List contains 3 items") with its built-in English, not with the modeler's translate service.
// In Chinese these texts are put through the same table as everything else whenever the panel redraws.
const TRANSLATED_ATTRIBUTES = ['title', 'aria-label'];
const TRANSLATED_TEXTS = '.bio-properties-panel-add-entry-label';

function translateNode(root, translate) {
  for (const element of root.querySelectorAll('[title], [aria-label]')) {
    for (const name of TRANSLATED_ATTRIBUTES) {
      const value = element.getAttribute(name);
      const translated = value && translatedOrSame(value, translate);
      if (translated && translated !== value) {
        element.setAttribute(name, translated);
      }
    }
  }
  for (const element of root.querySelectorAll(TRANSLATED_TEXTS)) {
    const translated = translatedOrSame(element.textContent, translate);
    if (translated !== element.textContent) {
      element.textContent = translated;
    }
  }
}

// "List contains 3 items" is built by the panel with its number already in it.
function translatedOrSame(text, translate) {
  const count = /^List contains (\d+) items?$/.exec(text.trim());
  if (count) {
    return translate('List contains {numOfItems} items', { numOfItems: count[1] });
  }
  return translate(text);
}

export function translatePanelChrome(panel, translate) {
  translateNode(panel, translate);
  const observer = new MutationObserver(() => translateNode(panel, translate));
  observer.observe(panel, { subtree: true, childList: true, attributes: true, attributeFilter: TRANSLATED_ATTRIBUTES });
  return observer;
}
