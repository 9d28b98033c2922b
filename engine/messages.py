"""What the engine says to people: a code with parameters, never a finished sentence in one language.

Each code has an English template, marked with `N_()` so that `pybabel extract` (babel.cfg) puts it
in the catalogs under webforms/translations/. The engine only knows the English text; the web layer
and the command line say a message in a language by handing `say()` a catalog lookup, so there is one
way to translate whatever the engine reports.

    Change("name", (("new", "B"), ("old", "A"))).say()          # English
    Change("name", (("new", "B"), ("old", "A"))).say(gettext)   # the catalog's language
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

Translate = Callable[[str], str]
# How a catalog keys a message that has a context (msgctxt): the context, this byte, the template.
CONTEXT_SEPARATOR = "\x04"


def N_(template: str) -> str:
    """Marks an English template for extraction into the catalogs; translation happens later."""
    return template


def NC_(context: str, template: str) -> str:
    """Marks a template that the catalogs keep apart under `context` (a report's "Departments" is not
    the tasklist's), as gettext keys it; `say()` drops the context again."""
    return f"{context}{CONTEXT_SEPARATOR}{template}"


def english(template: str) -> str:
    return template


def as_params(values: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Parameters in a stable, hashable form (sorted by name, every value a string)."""
    return tuple(sorted((name, "" if value is None else str(value)) for name, value in values.items()))


def printable(text: str) -> str:
    """`text` to quote back in a message: a control or other invisible character (a typed tab, a bell, a
    zero-width space) written as its escape (\\x07), so it neither disappears nor breaks the line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def say(template: str, params: Mapping[str, Any], translate: Translate = english) -> str:
    """`template` in the language of `translate`, filled with `params` (left alone without any)."""
    text = translate(template).rpartition(CONTEXT_SEPARATOR)[2]
    return text % dict(params) if params else text


class Coded:
    """Mixed into the engine's message values: a `code`, its `params`, and the code's template.

    A subclass names its templates (`TEMPLATES`) and the parameters whose values are themselves
    templates, said in the same language as the message (`TRANSLATED_PARAMS`, e.g. an element kind;
    `FILLED_PARAMS` when such a template has parameters of its own).
    """

    TEMPLATES: ClassVar[Mapping[str, str]] = {}
    TRANSLATED_PARAMS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    # Parameters whose values are templates with parameters of their own, taken from the message's (a
    # reason the sandbox gives, with its line and name): said in the same language, then filled.
    FILLED_PARAMS: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    code: str
    params: tuple[tuple[str, str], ...]

    @property
    def template(self) -> str:
        return self.TEMPLATES[self.code]

    def say(self, translate: Translate = english) -> str:
        params = dict(self.params)
        for name in self.TRANSLATED_PARAMS.get(self.code, ()):
            if params.get(name):
                params[name] = translate(params[name])
        for name in self.FILLED_PARAMS.get(self.code, ()):
            if params.get(name):
                params[name] = say(params[name], dict(self.params), translate)
        return say(self.template, params, translate)

    @property
    def message(self) -> str:
        """In English: for logs, the command line and tests."""
        return self.say()
