"""Round trip with Camunda Modeler: every shipped diagram, opened in the browser's modeler and downloaded
from the page, says the same as the file in processes/ (elements, names, documentation, lanes, forms,
candidate groups, timers, conditions, scripts), and the downloaded file uploads again with no problem."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from engine.bpmn.parser import BPMN_NS
from tests.browser.support import Page, expect, shot, sign_in
from tests.helpers import PROCESSES

pytestmark = pytest.mark.browser

DIAGRAMS = sorted(PROCESSES.glob("*.bpmn"))
# Derived references bpmn-js writes from the flows themselves; the flows' own ends are compared.
DERIVED = {f"{{{BPMN_NS}}}incoming", f"{{{BPMN_NS}}}outgoing"}


def semantics(xml: bytes) -> Counter[tuple]:
    """Every element of the processes and the collaboration (not the drawing), with the ids of its
    ancestors, its attributes (Camunda's included) and its text: what a diagram says, in any order."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    said: Counter[tuple] = Counter()
    for top in root:
        if top.tag not in (f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}collaboration"):
            continue
        for element in top.iter():
            if not isinstance(element.tag, str) or element.tag in DERIVED:
                continue
            path = tuple(a.get("id") or a.tag for a in reversed(list(element.iterancestors())))
            said[
                (path, element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip())
            ] += 1
    return said


def only_in(first: Counter[tuple], second: Counter[tuple]) -> list[tuple]:
    return sorted((first - second).elements(), key=repr)[:10]


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=[path.stem for path in DIAGRAMS])
def test_a_downloaded_diagram_says_what_the_shipped_file_says(
    page: Page, diagram: Path, tmp_path: Path
) -> None:
    sign_in(page, "owner")
    page.goto(f"/modeler/{diagram.stem}")
    expect(page.locator("body")).to_have_attribute("data-modeler-ready", "true")
    with page.expect_download() as download_info:
        page.click("#download")
    download = download_info.value
    assert download.suggested_filename == diagram.name
    saved = tmp_path / diagram.name
    download.save_as(saved)

    original, downloaded = semantics(diagram.read_bytes()), semantics(saved.read_bytes())
    assert only_in(original, downloaded) == [] and only_in(downloaded, original) == []
    assert sum(1 for key in original if key[1].endswith("formField")) > 0

    # Uploaded again, it opens with nothing to fix and nothing stored yet.
    page.set_input_files("#upload-file", str(saved))
    expect(page.locator("#modeler-status")).to_contain_text(diagram.name)
    expect(page.locator("#problem-count")).to_have_text("0")
    expect(page.locator("#dirty-flag")).to_be_visible()
    shot(page, f"modeler-roundtrip-{diagram.stem}")
