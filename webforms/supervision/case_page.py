"""What the case page shows besides the history: the diagram with the case's markers, its deadlines
and the customer's other cases."""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from sqlalchemy.orm import Session

from engine.bpmn import ParsedDefinition
from engine.cases import case_deadlines, case_markers, related_cases, tasks_of_case, timers_of_case
from engine.db import Event, ProcessInstance
from engine.messaging import sending_progress
from engine.people import is_confidential
from engine.work import likely_duplicates, links_of, outage_call_count
from webforms.database import runtime
from webforms.diagram_language import shown_diagram
from webforms.i18n import current_language
from webforms.people.masking import sees_personal_data
from webforms.work.merging import REASONS, may_merge

DEADLINE_STATES = {
    "waiting": _l("waiting"),
    "fired": _l("fired"),
    "failed": _l("failed"),
    "cancelled": _l("cancelled"),
}

# What an HTML parser would take for the end of a <script> element, or for the start of the states
# in which it would not see that end.
_SCRIPT_HAZARD = re.compile(r"<!--|</?script[\s/>]", re.IGNORECASE)


def embeddable_xml(xml: str) -> Markup | None:
    """The diagram's XML as the text of a <script type="application/xml"> element, or None when it
    cannot be put there safely. XML escapes every "<" of its text already; what is left are comments
    and CDATA sections (rewritten as escaped text here) and elements named `script` without a prefix."""
    if _SCRIPT_HAZARD.search(xml):
        parser = lxml.etree.XMLParser(
            remove_comments=True, strip_cdata=True, resolve_entities=False, no_network=True
        )
        try:
            xml = lxml.etree.tostring(lxml.etree.fromstring(xml.encode("utf-8"), parser), encoding="unicode")
        except lxml.etree.XMLSyntaxError:
            return None
        if _SCRIPT_HAZARD.search(xml):
            return None
    return Markup(xml)  # checked above: nothing in it can end or disturb the script element


def start_event_ids(parsed: ParsedDefinition) -> list[str]:
    return [
        spec.bpmn_id
        for spec in parsed.spec.task_specs.values()
        if isinstance(spec, StartEvent) and spec.bpmn_id
    ]


def step_names(parsed: ParsedDefinition) -> dict[str, str]:
    """The diagram's element names, in English where the diagram gives one (name_en)."""
    names = dict(parsed.element_names)
    if current_language() == "en":
        names.update(parsed.element_names_en)
        names.update({element: info.name_en for element, info in parsed.user_tasks.items() if info.name_en})
    return names


def case_story(
    session: Session, instance: ProcessInstance, parsed: ParsedDefinition, history: list[Event]
) -> dict[str, Any]:
    """Template values for the diagram, the deadlines and the related cases of a case."""
    now = runtime().clock.now()
    tasks = tasks_of_case(session, instance.id)
    timers = timers_of_case(session, instance.id)
    markers = case_markers(history, tasks, timers, now, start_event_ids(parsed))
    # The customer's other cases would tie one complainant's cases together: only for who may know them (C7).
    shows_related = sees_personal_data()
    related = related_cases(session, instance) if shows_related else []
    sending = sending_progress(session, instance.id)
    return {
        "diagram_xml": embeddable_xml(shown_diagram(instance.definition.bpmn_xml)),
        "markers": markers,
        "deadlines": case_deadlines(tasks, timers, now, parsed.element_names),
        "failed_timers": {t.element_id: t.id for t in timers if t.status == "failed"},
        "related": related,
        "shows_related": shows_related,
        "step_names": step_names(parsed),
        "deadline_states": DEADLINE_STATES,
        # O1/O2: how far the SMS and e-mail the case decided have gone out.
        "sending": sending,
        # … and which of them wait because no gateway is configured for their channel (as in the demo).
        "channels_without_gateway": sorted(sending.pending_channels - runtime().messaging.channels),
        "links": links_of(session, instance.id),
        "duplicates": _duplicates(session, instance) if may_merge() else [],
        "may_merge": may_merge(),
        "duplicate_reasons": REASONS,
        # O1: calls about this outage counted on it instead of opening repairs.
        "outage_calls": outage_call_count(session, instance.id),
    }


def _duplicates(session: Session, instance: ProcessInstance) -> list[Any]:
    """The open cases this one may duplicate (engine.work.duplicates), for merging or linking it."""
    if instance.status != "running":
        return []
    hidden = is_confidential(instance.data)  # never matched by who called (C7)
    return likely_duplicates(
        session,
        "" if hidden else instance.customer_phone or "",
        "" if hidden else instance.address or "",
        instance.category or "",
        runtime().clock.now(),
        runtime().call_grouping.duplicate_window,
        exclude_id=instance.id,
    )
