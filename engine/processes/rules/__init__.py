"""The rule list the diagrams are checked against (the C/R/L/O/Q/M… rules of the procedures).

It ships inside the package, so an installed wheel checks rule ids exactly as a checkout does.
`docs/procedures.md` is the same text for readers; a test keeps the two equal.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

RULE_LIST = Path(str(files(__name__) / "procedures.md"))
