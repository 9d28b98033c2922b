"""The Chinese catalog says each idea with one word: a case is 工单 (never 案件), deploying a version is
部署 (发布 is kept for publishing a public notice)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).parents[2] / "webforms" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"


def translations() -> list[tuple[str, str]]:
    with CATALOG.open("rb") as source:
        return [(m.id, m.string) for m in read_po(source) if isinstance(m.id, str) and m.id and m.string]


def test_a_case_is_always_a_work_order() -> None:
    assert [msgid for msgid, text in translations() if "案件" in text] == []


def test_deploying_is_always_bushu() -> None:
    deploying = [(msgid, text) for msgid, text in translations() if "deploy" in msgid.lower()]
    assert deploying, "the catalog has no text about deploying"
    assert [msgid for msgid, text in deploying if "发布" in text] == []
    assert [msgid for msgid, text in deploying if "部署" not in text] == []
