"""How the command line says what went wrong: every engine error, in one place, in one language.

The language is English unless HOTLINE_LANGUAGE names a catalog of webforms/translations (zh_CN):
the same catalogs the pages use, so the command line and the pages say an engine message alike.

    except HotlineError as err:
        echo_error(err, prefix=f"{path}: ")
"""

from __future__ import annotations

import os
from functools import cache
from importlib import resources

import click
from babel.messages.pofile import read_po

from engine.bpmn import DefinitionError
from engine.errors import HotlineError
from engine.messages import CONTEXT_SEPARATOR, Coded, Translate, english
from engine.processes import InvalidDiagram

LANGUAGE_VARIABLE = "HOTLINE_LANGUAGE"


@cache
def _catalog(language: str) -> dict[str, str]:
    po = resources.files("webforms") / "translations" / language / "LC_MESSAGES" / "messages.po"
    if not po.is_file():
        raise click.UsageError(f"{LANGUAGE_VARIABLE}={language}: there is no such catalog")
    with po.open("rb") as source:
        catalog = read_po(source)
    return {
        f"{m.context}{CONTEXT_SEPARATOR}{m.id}" if m.context else m.id: m.string
        for m in catalog
        if isinstance(m.id, str) and m.id and m.string
    }


def cli_translation(language: str | None = None) -> Translate:
    """The catalog lookup for `language` (default: HOTLINE_LANGUAGE); English without one."""
    language = language if language is not None else os.environ.get(LANGUAGE_VARIABLE, "")
    if language in ("", "en"):
        return english
    catalog = _catalog(language)
    return lambda template: catalog.get(template, template)


def said(item: Coded, translate: Translate | None = None) -> str:
    """An engine message (a validation problem, a change, why a case cannot move) in the CLI's language."""
    return item.say(translate or cli_translation())


def error_lines(error: HotlineError, translate: Translate | None = None) -> list[str]:
    """The error as the command line prints it: a first line, then one indented line per problem."""
    translate = translate or cli_translation()
    if isinstance(error, InvalidDiagram):
        lines = [f"refused, {len(error.problems)} problem(s)"]
        for problem in error.problems:
            where = problem.element_id or ""
            if where and problem.element_name:
                where = f"{where} ({problem.element_name})"
            lines.append(f"  {where}: {problem.say(translate)}" if where else f"  {problem.say(translate)}")
        return lines
    if isinstance(error, DefinitionError):
        return ["refused", *(f"  {problem}" for problem in error.problems)]
    first = error.say(translate)
    if error.line is not None and f"line {error.line}" not in first:
        first = f"{first} (line {error.line})"
    return [first]


def echo_error(error: HotlineError, prefix: str = "", translate: Translate | None = None) -> None:
    """Print the error on stderr, its first line after `prefix` (e.g. the file it is about)."""
    first, *rest = error_lines(error, translate)
    click.echo(f"{prefix}{first}", err=True)
    for line in rest:
        click.echo(line, err=True)
