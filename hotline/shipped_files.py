"""Files Hotline Flow needs besides its code, found the same way in a checkout and in an installed wheel.

The wheel carries the bundled diagrams as `hotline/processes/` (setup.py copies `processes/` there when
it builds); a checkout reads `processes/` in place. The tests folder exists only in a checkout.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# The repository root when running from a checkout; in an installed wheel this is site-packages.
CHECKOUT = Path(__file__).resolve().parent.parent


def shipped_processes() -> Path:
    """The bundled procedures' diagrams: those inside the installed package, else the checkout's."""
    packaged = Path(str(files("hotline") / "processes"))
    return packaged if packaged.is_dir() else CHECKOUT / "processes"


def checkout_tests() -> Path | None:
    """The checkout's tests folder (for rule traceability), or None in an installed wheel."""
    tests = CHECKOUT / "tests"
    return tests if (tests / "conftest.py").is_file() else None
