"""Chinese translations kept in step with the sources.

    .venv/bin/python scripts/translations.py missing            # JSON {msgid: ""} of untranslated strings
    .venv/bin/python scripts/translations.py add zh.json         # add or correct {msgid: 中文} in zh_CN (and en, empty)
    .venv/bin/python scripts/translations.py prune               # drop the entries no source says any more, and #~ ones

A msgid with a context (the engine's NC_("report", ...)) is written "report\u0004Summary" in the JSON.

Extraction follows babel.cfg, as tests/unit/test_translations.py does: the web layer's strings and the
engine's message templates (marked with N_(), engine/messages.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGS = {
    lang: ROOT / "webforms" / "translations" / lang / "LC_MESSAGES" / "messages.po"
    for lang in ("zh_CN", "en")
}
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
CONTEXT = "\x04"  # how a msgid with a context (msgctxt) is written in the JSON: context, this, msgid
# Passed to _() as variables, so no extractor finds them (tests/unit/test_translations.py names the same).
RUNTIME_MSGIDS = frozenset({"completed", "cancelled"})


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    tops = {pattern.split("/", 1)[0] for pattern, _method in method_map}

    def keep(dirpath: str) -> bool:
        parts = Path(dirpath).relative_to(ROOT).parts
        return bool(parts) and parts[0] in tops and not any(p.startswith((".", "_")) for p in parts)

    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=keep
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.add(msgid if context is None else f"{context}{CONTEXT}{msgid}")
    return found


def _split(key: str) -> tuple[str | None, str]:
    """A key of extracted() as (msgctxt, msgid): "report\x04Summary" is Summary in the context report."""
    context, _sep, msgid = key.rpartition(CONTEXT)
    return context or None, msgid


def missing() -> dict[str, str]:
    with CATALOGS["zh_CN"].open("rb") as handle:
        catalog = read_po(handle)

    def translated(key: str) -> bool:
        context, msgid = _split(key)
        message = catalog.get(msgid, context)
        return bool(message and message.string)

    return {key: "" for key in sorted(extracted()) if not translated(key)}


def add(translations: dict[str, str]) -> None:
    for lang, path in CATALOGS.items():
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for key, chinese in translations.items():
            context, msgid = _split(key)
            if lang == "zh_CN":
                catalog.add(msgid, chinese, context=context)
                # add() keeps an existing translation; a correction replaces it
                catalog.get(msgid, context).string = chinese
            elif catalog.get(msgid, context) is None:
                catalog.add(msgid, "", context=context)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0)


def prune() -> list[str]:
    """Removes from both catalogs the entries whose msgid no source says any more (an old wording, a page
    that is gone) and the obsolete (#~) ones `pybabel update` leaves; returns the keys removed."""
    used = extracted() | RUNTIME_MSGIDS
    removed: set[str] = set()
    for path in CATALOGS.values():
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in list(catalog):
            if not message.id:
                continue  # the header
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            key = msgid if message.context is None else f"{message.context}{CONTEXT}{msgid}"
            if key not in used:
                catalog.delete(msgid, message.context)
                removed.add(key)
        removed.update(str(key) for key in catalog.obsolete)
        catalog.obsolete.clear()
        with path.open("wb") as handle:
            write_po(handle, catalog, width=0)
    return sorted(removed)


if __name__ == "__main__":
    if sys.argv[1:] == ["missing"]:
        print(json.dumps(missing(), ensure_ascii=False, indent=1))
    elif len(sys.argv) == 3 and sys.argv[1] == "add":
        add(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
    elif sys.argv[1:] == ["prune"]:
        print(json.dumps(prune(), ensure_ascii=False, indent=1))
    else:
        sys.exit(__doc__)
