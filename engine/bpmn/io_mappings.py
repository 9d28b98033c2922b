"""camunda:inputOutput of script and user tasks, as Python the sandbox runs: each parameter's value is a
text (a string), a ${...} expression in JUEL's common forms, or a camunda:list / camunda:map of those.
There is no local scope here: an input parameter is put into the case data when the step starts (before
its script runs or its task opens) and an output parameter when the step completes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.bpmn.juel import is_juel, python_of
from engine.errors import HotlineError

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_IO = f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}inputOutput"


class MappingUnreadable(HotlineError, ValueError):
    """A parameter whose value has no Python form (a script, or JUEL beyond the common forms)."""

    code = "mapping-unreadable"

    def __init__(self, message: str, parameter: str = "") -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class IoMapping:
    """A step's parameters as (name, Python expression), in the file's order."""

    inputs: tuple[tuple[str, str], ...] = ()
    outputs: tuple[tuple[str, str], ...] = ()

    def input_script(self) -> str:
        return "".join(f"{name} = {source}\n" for name, source in self.inputs)

    def output_script(self) -> str:
        return "".join(f"{name} = {source}\n" for name, source in self.outputs)


def _value_source(node: Any) -> str:
    """The Python expression of a parameter's value, or of one item of a list or map."""
    children = [c for c in node if isinstance(c.tag, str)]
    if not children:
        text = (node.text or "").strip()
        if is_juel(text):
            python = python_of(text)
            if python is None:
                raise MappingUnreadable(f"{text} is JUEL this engine cannot run")
            return f"({python})"
        return repr(text)
    (child,) = children if len(children) == 1 else (None,)
    if child is None:
        raise MappingUnreadable("a parameter holds one value, list or map")
    kind = child.tag.rsplit("}", 1)[-1]
    if kind == "list":
        return "[" + ", ".join(_value_source(item) for item in child if isinstance(item.tag, str)) + "]"
    if kind == "map":
        entries = [e for e in child if isinstance(e.tag, str)]
        return "{" + ", ".join(f"{e.get('key', '')!r}: {_value_source(e)}" for e in entries) + "}"
    raise MappingUnreadable(f"a camunda:{kind} value (only text, ${{...}}, list and map run here)")


def io_mapping(node: Any) -> IoMapping | None:
    """The step's camunda:inputOutput, if it has one; MappingUnreadable names a value that cannot run."""
    io = node.find(_IO)
    if io is None:
        return None
    found: dict[str, list[tuple[str, str]]] = {"inputParameter": [], "outputParameter": []}
    for parameter in io:
        if not isinstance(parameter.tag, str):
            continue
        kind = parameter.tag.rsplit("}", 1)[-1]
        name = (parameter.get("name") or "").strip()
        if kind not in found:
            continue
        if not name.isidentifier():
            raise MappingUnreadable(f"the parameter name {name!r} is no Python name", name)
        try:
            found[kind].append((name, _value_source(parameter)))
        except MappingUnreadable as err:
            raise MappingUnreadable(f"parameter {name}: {err}", name) from err
    return IoMapping(tuple(found["inputParameter"]), tuple(found["outputParameter"]))
