"""A composed message: what the SMS or e-mail says, and what a template-only SMS provider fills in;
said in the administrator's wording of its kind where one is stored, else in the shipped text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.messages import Translate, say
from engine.messaging.texts.template_language import render


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    # In order, for the provider's approved template of this kind (Tencent Cloud's TemplateParamSet).
    template_params: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Wording:
    """An administrator's template of one kind in one language ({name} variables)."""

    subject: str
    text: str


def fill(
    shipped: tuple[str, str],
    params: Mapping[str, Any],
    translate: Translate,
    wording: Wording | None,
    template_params: tuple[str, ...] = (),
) -> Composed:
    if wording is None:
        return Composed(
            say(shipped[0], params, translate), say(shipped[1], params, translate), template_params
        )
    return Composed(render(wording.subject, params), render(wording.text, params), template_params)
