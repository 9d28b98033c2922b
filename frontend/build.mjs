// Bundles the front-end entry points and copies the stylesheets they need into
// webforms/static/vendor, which is generated at setup and never committed.
import { build } from 'esbuild';
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'webforms', 'static', 'vendor');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: {
    'hotline-viewer': join(here, 'src', 'viewer.js'),
    'hotline-modeler': join(here, 'src', 'modeler.js'),
    'hotline-modeler-page': join(here, 'src', 'modeler-page.js'),
    'hotline-signature': join(here, 'src', 'signature.js'),
    'hotline-decision-editor': join(here, 'src', 'decision-editor.js'),
  },
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outdir: out,
  logLevel: 'warning',
  loader: { '.json': 'json' },
});

const styles = [
  ['bpmn-js/dist/assets/diagram-js.css', 'diagram-js.css'],
  ['bpmn-js/dist/assets/bpmn-js.css', 'bpmn-js.css'],
  ['bpmn-js/dist/assets/bpmn-font', 'bpmn-font'],
  ['@bpmn-io/properties-panel/dist/assets/properties-panel.css', 'properties-panel.css'],
  // The decision table editor (dmn-js).
  ['dmn-js/dist/assets/dmn-js-shared.css', 'dmn-js-shared.css'],
  ['dmn-js/dist/assets/dmn-js-decision-table.css', 'dmn-js-decision-table.css'],
  ['dmn-js/dist/assets/dmn-js-decision-table-controls.css', 'dmn-js-decision-table-controls.css'],
  ['dmn-js/dist/assets/dmn-font', 'dmn-font'],
  // The API's browsable page (/api/v1/docs): Swagger UI as its package ships it, already bundled.
  ['swagger-ui-dist/swagger-ui-bundle.js', 'swagger-ui-bundle.js'],
  ['swagger-ui-dist/swagger-ui.css', 'swagger-ui.css'],
];
for (const [from, to] of styles) {
  cpSync(join(here, 'node_modules', from), join(out, to), { recursive: true });
}
