"""Camunda's JUEL expressions (`${approved}`, `#{x == 1}`) said in the sandbox's Python, for the
common forms: names, literals, comparisons, `!`/`not`, `&&`/`and`, `||`/`or`, `empty`, and the
word operators (`eq`, `ne`, `lt`, `gt`, `le`, `ge`). Anything else (method calls, `execution`,
property access) has no translation: None."""

from __future__ import annotations

import ast
import re

_JUEL = re.compile(r"^\s*[$#]\{(.*)\}\s*$", re.S)
_TOKEN = re.compile(
    r"""\s*(?:(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(?P<number>\d+(?:\.\d+)?)|"""
    r"""(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|&&|\|\||[<>!()+\-*/%]))"""
)
_WORDS = {
    "true": "True",
    "false": "False",
    "null": "None",
    "and": "and",
    "or": "or",
    "not": "not",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "empty": "not",
    "div": "/",
    "mod": "%",
}
_OPERATORS = {"&&": "and", "||": "or", "!": "not"}
# Names a JUEL expression reads that only Camunda's Java side has.
_JAVA_ONLY = {"execution", "task", "authenticatedUserId", "instanceof"}
_SPACED = {"and", "or", "not", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"}


def is_juel(text: str) -> bool:
    """Whether a condition or expression is written as Camunda writes JUEL: ${...} or #{...}."""
    return bool(_JUEL.match(text or ""))


def python_of(text: str) -> str | None:
    """The Python for a JUEL expression of a common form, or None when it has none."""
    match = _JUEL.match(text or "")
    if not match:
        return None
    body = match.group(1).strip()
    words: list[str] = []
    position = 0
    while position < len(body):
        token = _TOKEN.match(body, position)
        if token is None or token.end() == position:
            return None
        position = token.end()
        kind = token.lastgroup
        value = token.group(kind or "")
        if kind == "name":
            if value in _JAVA_ONLY:
                return None
            words.append(_WORDS.get(value, value))
        elif kind == "op":
            words.append(_OPERATORS.get(value, value))
        else:
            words.append(value)
    if not words:
        return None
    # `not empty x` is `not not x`: in a condition, x's own truth.
    python = _join(words).replace("not not ", "")
    try:
        tree = ast.parse(python, mode="eval")
    except SyntaxError:
        return None
    if any(isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)) for node in ast.walk(tree)):
        return None
    return python


def _join(words: list[str]) -> str:
    text = ""
    previous: str | None = None
    for word in words:
        unary = word in ("-", "+") and (previous is None or previous in _SPACED or previous == "(")
        previous = word
        if unary:
            text += word
        elif word in _SPACED:
            text = f"{text.rstrip()} {word} " if word != "not" else f"{text}not "
        elif word == ")":
            text = text.rstrip() + word
        else:
            text += word
    return " ".join(text.split()).replace("( ", "(")
