"""The catalogs the SMS and e-mail texts are said in (the web's .po files, read once per process)."""

from __future__ import annotations

from functools import cache

from babel.messages.pofile import read_po

from engine.messages import CONTEXT_SEPARATOR, Translate
from webforms.i18n import SOURCE


@cache
def message_languages() -> dict[str, Translate]:
    """language code (zh_CN, en) → a lookup of the engine's English templates in it."""
    languages: dict[str, Translate] = {}
    for po in sorted(SOURCE.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as source:
            catalog = read_po(source)
        table = {
            # a template kept apart under a context (a report's row labels, NC_) is keyed as NC_ keys it
            f"{message.context}{CONTEXT_SEPARATOR}{message.id}"
            if message.context
            else message.id: message.string
            for message in catalog
            if isinstance(message.id, str) and isinstance(message.string, str) and message.string
        }
        languages[po.parent.parent.name] = lambda template, table=table: table.get(template) or template
    return languages
