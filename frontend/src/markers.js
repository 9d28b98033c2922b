// Marks elements of a rendered diagram with the CSS classes the case page styles
// (hotline-completed, hotline-active, hotline-overdue, hotline-failed).
export function markElements(viewer, markers) {
  const canvas = viewer.get('canvas');
  const registry = viewer.get('elementRegistry');
  const missing = [];
  for (const [state, ids] of Object.entries(markers || {})) {
    for (const id of ids) {
      if (registry.get(id)) {
        canvas.addMarker(id, `hotline-${state}`);
      } else {
        missing.push(id);
      }
    }
  }
  return missing;
}
