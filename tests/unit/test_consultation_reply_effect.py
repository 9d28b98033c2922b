"""Q1: the reply step's form says which fields hold the reply's channel, contact and text (`sendReply`);
only an address that can take the channel gets the reply."""

from __future__ import annotations

from lxml import etree

from engine.bpmn.effects import read_effects
from engine.messaging import reply_address
from tests.helpers import PROCESSES

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def _process(value: str) -> etree._Element:
    return etree.fromstring(
        f"""<process xmlns="{BPMN}" xmlns:camunda="{CAMUNDA}" id="p"><userTask id="reply">
        <extensionElements><camunda:properties><camunda:property name="sendReply" value="{value}"/>
        </camunda:properties></extensionElements></userTask></process>""".encode()
    )


def test_the_consultation_diagram_declares_its_reply_fields_q1() -> None:
    tree = etree.parse(str(PROCESSES / "consultation.bpmn"))
    process = tree.find(f"{{{BPMN}}}process")
    assert process is not None
    effects, problems = read_effects(process)
    assert problems == []
    assert effects["reply_customer"].send_reply == ("channel_used", "contact", "answer")


def test_a_malformed_send_reply_is_a_problem_of_the_diagram() -> None:
    effects, problems = read_effects(_process("channel=c, text=t"))
    assert effects["reply"].send_reply is None
    assert [(element, "sendReply" in reason) for element, reason, _line in problems] == [("reply", True)]
    assert read_effects(_process("text=t, contact=k, channel=c"))[0]["reply"].send_reply == ("c", "k", "t")


def test_only_an_address_that_can_take_the_channel_gets_the_reply_q1() -> None:
    assert reply_address("sms", " 139-0000-0004 ") == "13900000004"
    assert reply_address("email", "wang.fang@example.com") == "wang.fang@example.com"
    assert reply_address("email", "13900000004") is None
    assert reply_address("sms", "wang.fang@example.com") is None
    assert reply_address("phone", "13900000004") is None
