"""Writes the table of BPMN elements and Camunda extensions into docs/modelling.md, from the engine's
own table (engine/bpmn/constructs.py), between the markers of its section.

    .venv/bin/python scripts/construct_table.py

tests/integration/processes/test_foreign_constructs.py fails while the docs and the engine differ.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.bpmn import constructs_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs" / "modelling.md"
START = "<!-- constructs: generated from engine/bpmn/constructs.py by scripts/construct_table.py -->"
END = "<!-- /constructs -->"


def main() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    if not section.search(text):
        raise SystemExit(f"{DOCS}: the markers of the constructs table are missing")
    table = f"{START}\n{constructs_markdown()}{END}"
    DOCS.write_text(section.sub(lambda _m: table, text), encoding="utf-8")


if __name__ == "__main__":
    main()
