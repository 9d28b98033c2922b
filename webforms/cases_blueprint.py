"""The `cases` blueprint (/cases/...), shared by two areas: recording a call (webforms/work/intake.py)
and reading cases (webforms/supervision/cases.py). One blueprint, so the addresses and the
`url_for("cases.…")` names stay what bookmarks and templates know."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
