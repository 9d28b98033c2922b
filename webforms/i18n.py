"""Chinese (default) and English: the one way pages say things in the user's language.

Catalogs are compiled from the .po files when they change. Everything the engine says (a code with
parameters, engine/messages.py) goes through `translated`; a row that carries its own English name
(a category, a procedure, a task) goes through `localized_name`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, session
from flask_babel import Babel, gettext

from engine.messages import Coded

LANGUAGES = {"zh_CN": "中文", "en": "English"}
SOURCE = Path(__file__).parent / "translations"


def compile_catalogs(target: Path) -> Path:
    """Compile translations/<lang>/LC_MESSAGES/messages.po into target, if newer than the .mo."""
    for po in SOURCE.glob("*/LC_MESSAGES/messages.po"):
        # Flask-Babel looks catalogs up by the full locale name, which for zh_CN is zh_Hans_CN.
        language = str(Locale.parse(po.parent.parent.name))
        mo = target / language / "LC_MESSAGES" / "messages.mo"
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with po.open("rb") as source:
            catalog = read_po(source)
        # Several web processes may start on a fresh home at once: each writes its own file and renames
        # it into place, so none finds a half-written catalog or another's file gone.
        with tempfile.NamedTemporaryFile(dir=mo.parent, suffix=".mo.tmp", delete=False) as out:
            write_mo(out, catalog)
        Path(out.name).replace(mo)
    return target


def current_language() -> str:
    """The language the user chose; otherwise Chinese, whatever the browser asks for (zh-CN is the default)."""
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else "zh_CN"


# Parsed once: Flask-Babel parses what its locale selector returns on every request, unless it is a
# Locale already.
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def _current_locale() -> Locale:
    return _LOCALES[current_language()]


def list_separator() -> str:
    """What separates the items of a list in running text: the enumeration comma in Chinese."""
    return ", " if current_language() == "en" else "、"


def label_colon() -> str:
    """What follows a label before its value: Chinese text takes the full-width colon, without a space."""
    return ": " if current_language() == "en" else "："


def catalog_text(template: str) -> str:
    """One template (an engine message's, a report's label) in the user's language, as the catalogs have
    it; the template itself outside a request. The engine's functions take this as their `translate`."""
    return gettext(template)


def translated(said: Coded) -> str:
    """An engine message (a validation problem, a change between versions, why a case cannot move)
    in the user's language; in English outside a request."""
    return said.say(catalog_text)


def localized_name(row: Any) -> str:
    """A row with name / name_en (an option, a category, a procedure) by its name in the user's language."""
    english = getattr(row, "name_en", "")
    return english if current_language() == "en" and english else row.name


def init_app(app: Flask) -> None:
    target = compile_catalogs(Path(app.instance_path) / "translations")
    Babel(app, locale_selector=_current_locale, default_translation_directories=str(target))

    @app.context_processor
    def _languages() -> dict:
        return {"languages": LANGUAGES, "current_language": current_language()}

    app.jinja_env.filters["translated"] = translated
    app.jinja_env.globals["localized_name"] = localized_name
