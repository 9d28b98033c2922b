"""The BPMN 2.0 schema's complaints (libxml2's words, "Element '{http://…}incoming': This element is
not expected.") said in plain words: which element, which attribute, and what to do."""

from __future__ import annotations

import re

from engine.messages import N_

_PREFIXES = {
    "http://www.omg.org/spec/BPMN/20100524/MODEL": "bpmn",
    "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://camunda.org/schema/1.0/bpmn": "camunda",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "dmn",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "dmn",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "dmn",
}
_QUALIFIED = re.compile(r"\{([^}]*)\}")
_ELEMENT = r"Element '(?P<tag>[^']+)'"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("schema-misplaced", re.compile(_ELEMENT + r": This element is not expected")),
    (
        "schema-attribute",
        re.compile(_ELEMENT + r", attribute '(?P<attribute>[^']+)': The attribute '[^']+' is not allowed"),
    ),
    (
        "schema-missing-attribute",
        re.compile(_ELEMENT + r": The attribute '(?P<attribute>[^']+)' is required but missing"),
    ),
    (
        "schema-bad-id",
        re.compile(
            _ELEMENT
            + r", attribute '(?P<attribute>[^']+)': '(?P<value>[^']*)' is not a valid value of the atomic type 'xs:(?:ID|NCName)'"
        ),
    ),
    (
        "schema-bad-boolean",
        re.compile(
            _ELEMENT
            + r", attribute '(?P<attribute>[^']+)': '(?P<value>[^']*)' is not a valid value of the atomic type 'xs:boolean'"
        ),
    ),
    (
        "schema-bad-value",
        re.compile(_ELEMENT + r", attribute '(?P<attribute>[^']+)': '(?P<value>[^']*)' is not a valid value"),
    ),
    ("schema-missing-child", re.compile(_ELEMENT + r": Missing child element")),
    (
        "schema-bad-choice",
        re.compile(
            _ELEMENT
            + r", attribute '(?P<attribute>[^']+)': \[facet 'enumeration'\] The value '(?P<value>[^']*)'"
        ),
    ),
    ("schema-text", re.compile(_ELEMENT + r": Character content other than whitespace is not allowed")),
    # Whatever else the schema says of an element: named, without the schema's English.
    ("schema-other", re.compile(_ELEMENT + r"[,:]")),
)
SCHEMA_MESSAGES: dict[str, str] = {
    "schema-misplaced": N_(
        "Line %(line)s: %(tag)s is not allowed at this place in '%(name)s' (BPMN 2.0 standard). "
        "Open the file in Camunda Modeler and save it again; if the problem stays, move or remove "
        "%(tag)s."
    ),
    "schema-attribute": N_(
        "Line %(line)s: '%(name)s' has the attribute %(attribute)s, which the BPMN 2.0 standard does not "
        "allow on %(tag)s. Remove the attribute."
    ),
    "schema-missing-attribute": N_(
        "Line %(line)s: %(tag)s '%(name)s' lacks the attribute %(attribute)s, which the BPMN 2.0 "
        "standard requires. Draw the element again in the modeler."
    ),
    "schema-bad-id": N_(
        "Line %(line)s: '%(value)s' (attribute %(attribute)s of %(tag)s) is not a valid id: an id "
        "starts with a letter or _, holds no spaces and is used only once. Change it in the modeler."
    ),
    "schema-bad-boolean": N_(
        "Line %(line)s: the attribute %(attribute)s of %(tag)s '%(name)s' is '%(value)s'; write "
        "true or false."
    ),
    "schema-bad-value": N_(
        "Line %(line)s: the attribute %(attribute)s of %(tag)s '%(name)s' has the value "
        "'%(value)s', which the BPMN 2.0 standard does not allow there. Correct it in the modeler."
    ),
    "schema-bad-choice": N_(
        "Line %(line)s: the attribute %(attribute)s of %(tag)s '%(name)s' is '%(value)s', which is none "
        "of the values the BPMN 2.0 standard allows there. Correct it in the modeler, or remove it."
    ),
    "schema-text": N_(
        "Line %(line)s: %(tag)s '%(name)s' holds text where the BPMN 2.0 standard allows only elements. "
        "Remove the text, or put it in a documentation element."
    ),
    "schema-other": N_(
        "Line %(line)s: %(tag)s '%(name)s' (or one of its attributes) does not follow the BPMN 2.0 standard. Open the "
        "file in Camunda Modeler and save it again, or draw the element again."
    ),
    "schema-missing-child": N_(
        "Line %(line)s: %(tag)s '%(name)s' lacks a part the BPMN 2.0 standard requires. Draw the "
        "element again in the modeler."
    ),
}


def plain_names(text: str) -> str:
    """Qualified names as a file writes them: {http://…/MODEL}incoming → bpmn:incoming."""
    return _QUALIFIED.sub(lambda m: f"{_PREFIXES.get(m.group(1), m.group(1))}:", text)


def schema_element(reason: str) -> str | None:
    """The element (dmn:decisionTable) a schema complaint names, if it names one."""
    match = re.search(_ELEMENT, reason)
    return plain_names(match.group("tag")) if match else None


def schema_problem(reason: str) -> tuple[str, dict[str, str]] | None:
    """The code and parameters of a schema complaint, or None when `reason` is not one."""
    for code, pattern in _PATTERNS:
        match = pattern.search(reason)
        if match:
            return code, {k: plain_names(v) for k, v in match.groupdict().items()}
    return None
