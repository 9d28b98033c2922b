"""Every shipped diagram opens in bpmn-js (the viewer and the modeler with the Camunda extension)
without a single import warning, so what process owners edit is what the engine runs."""

from __future__ import annotations

import pytest

from tests.browser.support import Page
from tests.helpers import PROCESSES, PROJECT_ROOT

VENDOR = PROJECT_ROOT / "webforms" / "static" / "vendor"
DIAGRAMS = sorted(PROCESSES.glob("*.bpmn"))

pytestmark = pytest.mark.browser

IMPORT_BOTH = """async (xml) => {
  const holder = document.createElement('div');
  holder.style.width = '1000px';
  holder.style.height = '600px';
  document.body.appendChild(holder);
  const shown = await window.HotlineViewer.show(holder, xml, {});
  const panel = document.createElement('div');
  document.body.appendChild(panel);
  const editorHolder = document.createElement('div');
  editorHolder.style.width = '1000px';
  editorHolder.style.height = '600px';
  document.body.appendChild(editorHolder);
  const modeler = window.HotlineModeler.create(editorHolder, panel);
  const editorWarnings = await window.HotlineModeler.open(modeler, xml);
  const saved = await window.HotlineModeler.currentXML(modeler);
  return {
    viewer: shown.warnings.map((w) => w.message),
    modeler: editorWarnings.map((w) => w.message),
    keepsForms: saved.includes('camunda:formData') === xml.includes('camunda:formData'),
    keepsGroups: saved.includes('camunda:candidateGroups') === xml.includes('camunda:candidateGroups'),
  };
}"""


@pytest.fixture
def bundles(page: Page) -> Page:
    if not (VENDOR / "hotline-viewer.js").exists():
        pytest.fail("webforms/static/vendor is not built: run `make setup` (it bundles bpmn-js from npm)")
    page.goto("/login")
    page.add_script_tag(url="/static/vendor/hotline-viewer.js")
    page.add_script_tag(url="/static/vendor/hotline-modeler.js")
    return page


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[path.stem for path in DIAGRAMS])
def test_diagram_imports_into_bpmn_js_without_warnings(bundles: Page, diagram) -> None:
    result = bundles.evaluate(IMPORT_BOTH, diagram.read_text(encoding="utf-8"))
    assert result["viewer"] == []
    assert result["modeler"] == []
    assert result["keepsForms"] and result["keepsGroups"]
