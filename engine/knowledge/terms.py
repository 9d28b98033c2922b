"""The words a text is found by. Chinese has no spaces: jieba splits it into words (in search mode, so
「退费申请」 is found by 退费 and by 申请 as well), and every pair of neighbouring characters is kept too;
Latin words and numbers are kept, lower-cased.
Punctuation and the particles that carry no meaning (的, 了, 吗…) are left out."""

from __future__ import annotations

import logging
import re
from collections import Counter

import jieba

jieba.setLogLevel(logging.WARNING)

MAX_TERM_LENGTH = 100
# Function words too common to tell one answer from another.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "就",
        "都",
        "也",
        "还",
        "有",
        "我",
        "你",
        "他",
        "她",
        "它",
        "我们",
        "你们",
        "这",
        "那",
        "哪",
        "什么",
        "怎么",
        "为什么",
        "一个",
        "可以",
        "能",
        "会",
        "要",
        "请",
        "问",
        "请问",
        "谢谢",
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "is",
        "are",
        "be",
        "how",
        "what",
        "why",
        "can",
        "i",
    ]
)
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")
_CHINESE_RUN = re.compile(r"[\u3400-\u9fff]{2,}")


def _bigrams(text: str) -> list[str]:
    """Every two neighbouring Chinese characters: jieba may split the caller's 「水表坏了」 as 水 / 表坏
    where the entry says 水表, and the pairs still meet (as CJK search engines index them)."""
    return [run[i : i + 2] for run in _CHINESE_RUN.findall(text) for i in range(len(run) - 1)]


def load_dictionary() -> None:
    """Load jieba's dictionary now (about 0.7 s, once per process), not in the first search's request."""
    jieba.initialize()


def terms_of(text: str) -> list[str]:
    """Every word of the text a search may match (jieba's words, then the character pairs), repeats kept."""
    text = text or ""
    words = []
    for word in jieba.cut_for_search(text):
        word = word.strip().lower()
        if word and len(word) <= MAX_TERM_LENGTH and _MEANINGFUL.search(word) and word not in STOP_WORDS:
            words.append(word)
    seen = set(words)
    words.extend(pair for pair in _bigrams(text) if pair not in seen and pair not in STOP_WORDS)
    return words


def weighted_terms(*parts: tuple[str, int]) -> dict[str, int]:
    """{word: weight} over several texts, each word counting its text's weight each time it occurs."""
    weights: Counter[str] = Counter()
    for text, weight in parts:
        for word in terms_of(text):
            weights[word] += weight
    return dict(weights)
