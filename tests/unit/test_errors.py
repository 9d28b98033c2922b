"""One error root: every exception class the engine defines derives from HotlineError, which carries
a code, the element, parameters and, from SpiffWorkflow or lxml, the line and notes."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter

import pytest
from SpiffWorkflow.exceptions import WorkflowException

import engine
from engine.bpmn.parser import DefinitionError, parse_definition
from engine.bpmn.safe_xml import UnsafeXml, parse_xml
from engine.cases.attachments import AttachmentRefused
from engine.errors import Conflict, HotlineError, ScriptFailed


def _engine_classes() -> list[type]:
    classes = {}
    for info in pkgutil.walk_packages(engine.__path__, "engine."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == info.name:
                classes[f"{info.name}.{value.__qualname__}"] = value
    return list(classes.values())


def test_every_engine_exception_derives_from_the_one_root() -> None:
    exceptions = [c for c in _engine_classes() if issubclass(c, BaseException)]
    assert len(exceptions) >= 16
    assert [c.__qualname__ for c in exceptions if not issubclass(c, HotlineError)] == []


def test_no_two_engine_classes_share_a_name() -> None:
    names = Counter(c.__qualname__ for c in _engine_classes())
    assert [name for name, count in names.items() if count > 1] == []


def test_an_error_carries_code_element_params_line_and_notes() -> None:
    error = HotlineError("boom", code="x", element_id="task_1", params={"n": 2}, line=7, notes=["a"])
    assert (str(error), error.code, error.element_id, error.params, error.line, error.notes) == (
        "boom",
        "x",
        "task_1",
        {"n": 2},
        7,
        ("a",),
    )


def test_a_failed_script_keeps_spiffworkflows_line_and_notes() -> None:
    spiff = WorkflowException("name 'x' is not defined")
    spiff.line_number = 3
    spiff.add_note("Did you mean 'y'?")
    failed = ScriptFailed.from_spiff("compute", spiff)
    assert (failed.code, failed.element_id, failed.line, failed.notes) == (
        "script-failed",
        "compute",
        3,
        ("Did you mean 'y'?",),
    )
    assert failed.say().startswith("Nothing was saved. Tell the process owner: step 'compute' failed:")


def test_xml_that_is_not_well_formed_says_its_line() -> None:
    with pytest.raises(UnsafeXml) as refused:
        parse_xml(b"<a>\n<b>\n</a>")
    assert refused.value.code == "xml-tag-mismatch"
    assert refused.value.line == 3


def test_a_definition_error_names_the_first_problems_element() -> None:
    xml = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f" sourceRef="start" targetRef="nowhere"/>
  </bpmn:process>
</bpmn:definitions>"""
    with pytest.raises(DefinitionError) as refused:
        parse_definition(xml, "p.bpmn")
    assert isinstance(refused.value, HotlineError)
    assert refused.value.element_id == refused.value.problems[0].element_id == "f"
    assert refused.value.params["file"] == "p.bpmn"


def test_an_error_is_said_from_its_codes_template_and_falls_back_to_its_message() -> None:
    taken = Conflict("deployed meanwhile", "version_taken", key="complaint", version=4)
    assert taken.say() == (
        "Someone deployed version 4 of complaint meanwhile, so nothing was deployed. Reload and deploy again."
    )
    assert (
        taken.say(lambda template: "「%(key)s」第 %(version)s 版已被他人发布")
        == "「complaint」第 4 版已被他人发布"
    )
    assert AttachmentRefused("too_large", limit=3 * 1024 * 1024).say() == "The file is larger than 3 MB."
    assert Conflict("odd", "some_new_reason").say() == "odd"  # no template: the English message
