"""Every UI string in the sources has a Chinese translation that keeps its placeholders.

Chinese is the default language, so a string added with _() / gettext / _l / lazy_gettext (or an
engine message template marked with N_()) but not translated shows up in English for every operator.
The msgids are extracted the way `pybabel extract` does it, with the mapping in babel.cfg (webforms/
and engine/):

    pybabel extract -F babel.cfg -k _l -o /tmp/messages.pot .
    pybabel update -i /tmp/messages.pot -d webforms/translations -D messages

then translate what is new. `pybabel update` marks the RUNTIME_MSGIDS below obsolete (#~): restore them.
Or, keeping the catalogs as they are written: `scripts/translations.py missing` / `add` for what is new,
`scripts/translations.py prune` for the entries no source says any more.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webforms" / "translations"
ZH_CN_PO = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None}
# Passed to _() as variables, so no extractor finds them: webforms/work/tasks.py, _(task.status).
RUNTIME_MSGIDS = ("completed", "cancelled")

# %(name)s, %s, %5.2f, %% ... as Python's %-formatting reads them.
PLACEHOLDER = re.compile(r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


@cache
def _extracted_msgids() -> dict[str, list[str]]:
    """msgid -> the places it occurs, for every string babel.cfg's mapping finds."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    # Only walk the folders the mapping names (webforms/), not the whole checkout.
    tops = {pattern.split("/", 1)[0] for pattern, _method in method_map}

    def directory_filter(dirpath: str) -> bool:
        rel = Path(os.path.relpath(dirpath, ROOT))
        return rel.parts[0] in tops and not any(part.startswith((".", "_")) for part in rel.parts)

    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS, directory_filter=directory_filter
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid if context is None else f"{context}\x04{msgid}", []).append(
                f"{filename}:{lineno}"
            )
    return found


def _placeholders(text: str) -> Counter[str]:
    """The %-placeholders of a string, plus a marker for each '%' that starts none (it would raise)."""
    tokens = [match.group(0) for match in PLACEHOLDER.finditer(text)]
    counts = Counter(tokens)
    stray = text.count("%") - sum(token.count("%") for token in tokens)
    if stray:
        counts["stray %"] = stray
    return counts


def _read(po: Path):
    with po.open("rb") as source:
        return read_po(source, abort_invalid=True)


def test_sources_have_strings() -> None:
    # Guards the test itself: a mapping that matches no file would make the next test pass vacuously.
    assert len(_extracted_msgids()) > 50


def test_every_source_string_has_a_chinese_translation() -> None:
    catalog = _read(ZH_CN_PO)
    problems = []
    wanted = _extracted_msgids() | {msgid: ["used at run time"] for msgid in RUNTIME_MSGIDS}
    for msgid, where in sorted(wanted.items()):
        context, _sep, key = msgid.rpartition("\x04")
        message = catalog.get(key, context or None)
        if message is None:
            problems.append(f"missing     {msgid!r}  ({', '.join(where)})")
        elif message.fuzzy:
            problems.append(f"fuzzy       {msgid!r}  ({', '.join(where)})")
        elif not (message.string if isinstance(message.string, str) else all(message.string)):
            problems.append(f"empty       {msgid!r}  ({', '.join(where)})")
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = _placeholders(ids[0])
        for string in strings:
            if string and _placeholders(string) != expected:
                problems.append(f"placeholder {ids[0]!r} -> {string!r}")
    assert not problems, (
        f"{ZH_CN_PO.relative_to(ROOT)} is out of date ({len(problems)}):\n"
        + "\n".join(problems)
        + "\nRe-extract, `pybabel update`, then translate (see this test's docstring)."
    )


@pytest.mark.parametrize(
    "po", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")), ids=lambda p: p.parts[-3]
)
def test_every_catalog_entry_is_said_by_the_sources(po: Path) -> None:
    # An old wording left behind is a translation nobody reads, and hides which strings are in use.
    catalog = _read(po)
    used = set(_extracted_msgids()) | set(RUNTIME_MSGIDS)
    unused = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if (msgid if message.context is None else f"{message.context}\x04{msgid}") not in used:
            unused.append(msgid)
    assert not unused and not catalog.obsolete, (
        f"{po.relative_to(ROOT)} keeps {len(unused) + len(catalog.obsolete)} entries no source says: "
        f"{unused + list(catalog.obsolete)}\nRun: .venv/bin/python scripts/translations.py prune"
    )


@pytest.mark.parametrize(
    "po", sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")), ids=lambda p: p.parts[-3]
)
def test_catalog_compiles(po: Path, tmp_path: Path) -> None:
    catalog = _read(po)
    assert str(catalog.locale).split("_")[0] == po.parts[-3].split("_")[0]
    with (tmp_path / "messages.mo").open("wb") as out:
        write_mo(out, catalog)
