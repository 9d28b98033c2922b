"""Chinese text uses Chinese punctuation: ，。：；（）！？ rather than , . : ; ( ) ! ? beside Chinese words.

What must stay ASCII stays: placeholders (%(name)s, {x}, ${x}), numbers and times (1.5, 16:00), file
names and code (.bpmn, camunda:formData, approved == True, "a","b"), and the ASCII-only parts of a
sentence (例如 phone, address). A punctuation mark counts as Chinese text's own when it touches a
Chinese character or a placeholder standing for one; a pair of brackets counts as Chinese when either
bracket does, so （JPEG、PNG） and （见 docs/modelling.md） close as they open.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
ZH_CN_PO = ROOT / "webforms" / "translations" / "zh_CN" / "LC_MESSAGES" / "messages.po"
PROCESSES = ROOT / "processes"
CAMUNDA_PROPERTY = "{http://camunda.org/schema/1.0/bpmn}property"
# The properties whose values users read (docs/modelling.md); values:<variable> is syntax as much as text.
SHOWN_PROPERTIES = ("help", "description", "notifyMessage")

ASCII_PUNCTUATION = ",.:;()!?"
# Han characters and the CJK and full-width punctuation that Chinese text sets beside them.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’—…、]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
# Written out by the program, so shown in a Chinese sentence: they stand for Chinese text.
PLACEHOLDER = re.compile(r"%\([^)]*\)[sd]|%[sd]|\$\{[^}]*\}|\{\{|\}\}|\{[^{}]*\}")
# Text the reader types or reads as code: its colons and semicolons are syntax, not punctuation.
LITERAL_SYNTAX = (
    "label:<变量名> = 中文|English",
    "values:<变量名> = 代码:中文|English;代码2:中文|English",
    "“种子:工单号”",
)


def _masked(text: str) -> str:
    """The text with each placeholder replaced by a Chinese stand-in and each literal by ASCII filler."""
    for literal in LITERAL_SYNTAX:
        text = text.replace(literal, "#" * len(literal))
    return PLACEHOLDER.sub(lambda match: "字" * len(match.group(0)), text)


def _is_chinese(char: str) -> bool:
    return bool(CJK.fullmatch(char))


def _touches_chinese(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if before == "“" and after == "”":
        return False  # the mark itself, quoted: 字母、“.”或“-”
    if text[index] == "." and "." in (before, after):
        return False  # an ellipsis written in ASCII, as code has it: %(value)s = ...
    if text[index] == "." and after.isascii() and after.isalnum():
        return False  # a file name's extension or a dotted code name: .bpmn, docs/modelling.md
    return _is_chinese(before) or _is_chinese(after)


def _bracket_pairs(text: str) -> tuple[dict[int, int], set[int]]:
    """Each ASCII bracket's index -> its partner's index (both ways), and apart from them the brackets
    of calls such as working_days(2) or not("a"), which are code."""
    pairs: dict[int, int] = {}
    calls: set[int] = set()
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            start = opened.pop()
            name_end = text[start - 1] if start > 0 else ""
            if name_end.isascii() and (name_end.isalpha() or name_end == "_"):
                calls |= {start, index}
            else:
                pairs[start], pairs[index] = index, start
    return pairs, calls


def ascii_punctuation_in_chinese(text: str) -> list[int]:
    """The indexes of the ASCII punctuation marks in text that belong to its Chinese sentences."""
    if not HAN.search(text):
        return []
    masked = _masked(text)
    pairs, calls = _bracket_pairs(masked)
    found: set[int] = set()
    while True:
        # A mark found Chinese counts as Chinese for its neighbours: the comma after （处理人 %(by)s）.
        for index in found:
            masked = f"{masked[:index]}，{masked[index + 1 :]}"
        more = {
            index
            for index, char in enumerate(masked)
            if char in ASCII_PUNCTUATION and index not in calls and _touches_chinese(masked, index)
        }
        more |= {pairs[index] for index in more if index in pairs}
        if more <= found:
            return sorted(found)
        found |= more


def _marked(text: str, indexes: list[int]) -> str:
    """The text with each offending mark wrapped in ⟦ ⟧, for the failure message."""
    for index in reversed(indexes):
        text = f"{text[:index]}⟦{text[index]}⟧{text[index + 1 :]}"
    return text


def _chinese_translations() -> list[tuple[str, str]]:
    with ZH_CN_PO.open("rb") as source:
        catalog = read_po(source)
    found = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found.extend((msgid, string) for string in strings if string)
    return found


def test_the_check_finds_ascii_punctuation_and_leaves_code_alone() -> None:
    assert ascii_punctuation_in_chinese("已保存,请刷新(按 F5)。") == [3, 7, 12]
    assert ascii_punctuation_in_chinese("状态为:%(status)s(处理人 %(by)s)") == [3, 14, 25]
    assert ascii_punctuation_in_chinese("(无类别)") == [0, 4]
    assert ascii_punctuation_in_chinese("Saved, thank you (really).") == []
    code = "请打开 .bpmn 文件，写成 approved == True 或 PT1M,PT5M，于 7:00 生成 1.5 倍，见 docs/a.md。"
    assert ascii_punctuation_in_chinese(code) == []
    assert ascii_punctuation_in_chinese("例如 phone, address。带有表单（camunda:formData）") == []
    assert ascii_punctuation_in_chinese("按“种子:工单号”排序") == []


def test_chinese_translations_use_chinese_punctuation() -> None:
    problems = [
        f"{msgid!r}\n    {_marked(text, found)}"
        for msgid, text in _chinese_translations()
        if (found := ascii_punctuation_in_chinese(text))
    ]
    assert not problems, (
        f"{len(problems)} Chinese translations use ASCII punctuation (marked ⟦ ⟧); "
        "write ，。：；（）！？ instead:\n" + "\n".join(problems)
    )


def _diagram_texts() -> list[tuple[str, str]]:
    """What the bundled diagrams show users: the names of steps, paths and choices, form labels, and the
    help, descriptions, notifications and data labels their properties hold."""
    found = []
    for diagram in sorted(PROCESSES.glob("*.bpmn")):
        for element in etree.parse(diagram).iter():
            if element.tag == CAMUNDA_PROPERTY:
                key = element.get("name", "")
                if key in SHOWN_PROPERTIES or key.startswith("label:"):
                    found.append((diagram.name, element.get("value", "")))
            else:
                found.extend(
                    (diagram.name, element.get(shown)) for shown in ("name", "label") if element.get(shown)
                )
    return found


def test_bundled_diagrams_use_chinese_punctuation() -> None:
    texts = _diagram_texts()
    assert len(texts) > 300, "the diagrams' texts were not found"
    problems = [
        f"{diagram}: {_marked(text, found)}"
        for diagram, text in texts
        if (found := ascii_punctuation_in_chinese(text))
    ]
    assert not problems, f"{len(problems)} texts of the diagrams use ASCII punctuation:\n" + "\n".join(
        problems
    )
