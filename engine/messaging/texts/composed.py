"""A composed message: what the SMS or e-mail says, and what a template-only SMS provider fills in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    # In order, for the provider's approved template of this kind (Tencent Cloud's TemplateParamSet).
    template_params: tuple[str, ...] = field(default_factory=tuple)
