"""Effects a diagram asks for with element properties: in-app notifications (`notify`) and public
outage notices (`publishNotice`), read at deploy time. engine.cases.effects carries them out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
NOTICE_KINDS = ("outage", "restoration")
_RECIPIENT = re.compile(r"^((head|role):([A-Za-z0-9_]+|\$\{[A-Za-z_][A-Za-z0-9_]*\})|opener)$")


@dataclass(frozen=True)
class Effect:
    element_id: str
    notify: tuple[str, ...] = ()
    message: str = ""
    message_en: str = ""
    publish_notice: str = ""
    # L2: the recipients get the message by SMS (or e-mail, as each prefers) as well as in the app.
    by_sms: bool = False
    # Q1: the task's form says how to reply to the customer — the fields holding the channel (sms or
    # email send the reply; anything else, e.g. phone, sends nothing), the contact and the text.
    send_reply: tuple[str, str, str] | None = None
    # U1: the task's completion sends the text in this field to the platform the case came from, by API
    # (engine.messaging.platform_replies); the case then waits for the platform's acknowledgement.
    reply_on_platform: str = ""


_REPLY_PARTS = ("channel", "contact", "text")


def _send_reply(value: str) -> tuple[str, str, str] | None:
    """`channel=channel_used, contact=contact, text=answer` → the three field ids; None if malformed."""
    parts = dict(part.strip().partition("=")[::2] for part in value.split(",") if part.strip())
    fields = tuple(parts.get(name, "").strip() for name in _REPLY_PARTS)
    if set(parts) != set(_REPLY_PARTS) or not all(f.isidentifier() for f in fields):
        return None
    return fields[0], fields[1], fields[2]


def read_effects(process: etree._Element) -> tuple[dict[str, Effect], list[tuple[str, str, int | None]]]:
    """The effects of a process's elements, and the problems found as (element id, reason, line)."""
    effects: dict[str, Effect] = {}
    problems: list[tuple[str, str, int | None]] = []
    for node in process.iter():
        element_id = node.get("id")
        if not isinstance(node.tag, str) or not element_id:
            continue
        props = {
            p.get("name"): p.get("value") or ""
            for p in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", _NS)
            if p.get("name")
        }
        if not ({"notify", "publishNotice", "sendReply", "replyOnPlatform"} & set(props)):
            continue
        recipients = tuple(r.strip() for r in props.get("notify", "").split(",") if r.strip())
        for recipient in recipients:
            if not _RECIPIENT.match(recipient):
                problems.append(
                    (
                        element_id,
                        f"notify: '{recipient}' must read head:<department>, role:<role> or opener",
                        node.sourceline,
                    )
                )
        if recipients and not props.get("notifyMessage"):
            problems.append(
                (element_id, "notify needs a notifyMessage (the text the recipients read)", node.sourceline)
            )
        kind = props.get("publishNotice", "")
        if "publishNotice" in props and kind not in NOTICE_KINDS:
            problems.append(
                (
                    element_id,
                    f"publishNotice must be one of {', '.join(NOTICE_KINDS)}, not '{kind}'",
                    node.sourceline,
                )
            )
        send_reply = _send_reply(props["sendReply"]) if "sendReply" in props else None
        if "sendReply" in props and send_reply is None:
            problems.append(
                (
                    element_id,
                    "sendReply must read channel=<field>, contact=<field>, text=<field>",
                    node.sourceline,
                )
            )
        reply_field = props.get("replyOnPlatform", "").strip()
        if "replyOnPlatform" in props and not reply_field.isidentifier():
            problems.append(
                (element_id, "replyOnPlatform must name the field holding the reply's text", node.sourceline)
            )
        effects[element_id] = Effect(
            element_id,
            recipients,
            props.get("notifyMessage", ""),
            props.get("notifyMessage_en", ""),
            kind,
            by_sms=props.get("notifyBySms", "").strip().lower() == "true",
            send_reply=send_reply,
            reply_on_platform=reply_field if reply_field.isidentifier() else "",
        )
    return effects, problems
