"""The engine's messages about diagrams in the user's language: validation problems
(engine/validation.py), changes between versions (engine/version_diff.py) and why a case cannot move
to another version (engine/migration.py).

The engine keeps English templates; listing them here puts them in the catalogs (babel reads only
webforms/), and each `localized()` looks them up by the same text. tests/unit/test_validation.py
checks that the lists agree."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from engine.errors import Conflict

PROBLEM_MESSAGES = {
    "file-too-large": _l(
        "The file has %(size)s bytes; a diagram may have at most %(limit)s. Remove what it does not need (embedded images, copied elements)."
    ),
    "xml-doctype": _l(
        "The file declares a DOCTYPE or entities, which a diagram never needs. Save the diagram again from the modeler."
    ),
    "not-utf8": _l("The file is not UTF-8 encoded (byte %(byte)s). Save it as UTF-8."),
    "not-well-formed": _l(
        "The file is not well-formed XML: %(detail)s (line %(line)s). Save the diagram again from the modeler."
    ),
    "not-bpmn": _l(
        "The root element is not bpmn:definitions, so this is not a BPMN diagram. Open a .bpmn file."
    ),
    "process-count": _l(
        "A diagram must hold exactly one executable process; this one holds %(count)s. Keep one process and mark it executable."
    ),
    "bpmn-invalid": _l("SpiffWorkflow cannot run this: %(detail)s. Correct the element as the message says."),
    "missing-candidate-group": _l(
        "User task '%(name)s' does not say who may do it. Set its candidate groups (for example operator)."
    ),
    "unknown-candidate-group": _l(
        "User task '%(name)s' names the candidate group '%(group)s', which is no role or department. Choose one of: %(known)s."
    ),
    "unknown-group-variable": _l(
        "User task '%(name)s' takes its candidate group from '%(variable)s', which no form field or script of this diagram sets. Add that field or choose a fixed group."
    ),
    "missing-form": _l(
        "User task '%(name)s' has no form. Add at least one form field, so the person doing it records what was done."
    ),
    "unknown-field-type": _l(
        "Form field '%(field)s' of '%(name)s' has the type '%(type)s'. Choose one of: %(known)s."
    ),
    "timer-cycle": _l(
        "Timer '%(name)s' repeats (timeCycle), which is not supported. Use a date (timeDate) or a duration (timeDuration)."
    ),
    "timer-empty": _l(
        "Timer '%(name)s' has no expression. Enter a duration such as PT2H, or a date such as ${reply_due} or working_days(2)."
    ),
    "timer-rejected": _l(
        "Timer '%(name)s': the expression '%(expression)s' is not allowed: %(detail)s. Write an expression such as PT2H or working_days(2)."
    ),
    "timer-unknown-name": _l(
        "Timer '%(name)s' uses '%(variable)s', which no form field or script of this diagram sets and which is no calendar function. Correct the name or set it before the timer."
    ),
    "timer-does-not-evaluate": _l(
        "Timer '%(name)s': the expression '%(expression)s' fails with the business calendar: %(detail)s. Correct the expression."
    ),
    "timer-wrong-value": _l(
        "Timer '%(name)s': the expression '%(expression)s' gives '%(value)s', which is not a %(expected)s. A timeDuration needs a duration such as PT2H, a timeDate a date and time."
    ),
    "gateway-flow-without-condition": _l(
        "Flow '%(flow)s' leaving gateway '%(name)s' has no condition and is not the default flow. Give it a condition or make it the gateway's default flow."
    ),
    "gateway-default-not-outgoing": _l(
        "Gateway '%(name)s' names '%(flow)s' as its default flow, but that flow does not leave it. Choose one of its outgoing flows as the default."
    ),
    "condition-rejected": _l(
        "The condition of flow '%(name)s' is not allowed: %(detail)s. Write an expression such as satisfied == False."
    ),
    "script-rejected": _l(
        "The script of '%(name)s' is not allowed: %(detail)s. See the sandbox rules in docs/modelling.md."
    ),
    "missing-layout": _l(
        "'%(name)s' is not drawn (it has no shape or line in the diagram). Open the diagram in the modeler and place it."
    ),
    "variable-label": _l(
        "Process property: %(detail)s. Write label:<variable> = 中文|English and values:<variable> = code:中文|English;code2:中文|English (see docs/modelling.md)."
    ),
    "unknown-rule-id": _l(
        "The documentation of '%(name)s' names rule %(rule)s, which is not in the rule list (docs/procedures.md). Correct the rule id."
    ),
    # Diagram roles (engine.bpmn.roles).
    "role-unknown": _l(
        "Step '%(name)s' declares the role '%(role)s', which is no role of a step. Choose one of: %(known)s (see Roles in docs/modelling.md)."
    ),
    "process-role-unknown": _l(
        "The process declares the role '%(role)s', which is no role of a procedure. Choose one of: %(known)s (see Roles in docs/modelling.md)."
    ),
    "role-not-on-user-task": _l(
        "'%(name)s' declares the role '%(role)s', but only a user task can have it. Move the role property to the user task it is about."
    ),
    "role-not-unique": _l(
        "'%(name)s' and '%(other)s' both declare the role '%(role)s', which a process has at most once. Remove it from the one that is not the %(role)s step."
    ),
    "role-missing": _l(
        "A process with the role '%(process_role)s' needs a user task with the role '%(role)s'. Set role = %(role)s on that task (see Roles in docs/modelling.md)."
    ),
    "callback-without-answer": _l(
        "Callback '%(name)s' has no form field '%(field)s' (values yes / no) for the customer's answer, so the satisfaction rate cannot count it. Add the field or remove the role."
    ),
    "intake-flag": _l("Process property intake is '%(value)s'; write true or false."),
    "intake-order": _l("Process property intakeOrder is '%(value)s'; write a whole number (1 comes first)."),
}

CHANGE_MESSAGES = {
    "added": _l("%(type)s added"),
    "removed": _l("%(type)s removed"),
    "type": _l("type changed from %(old)s to %(new)s"),
    "name": _l("name changed from '%(old)s' to '%(new)s'"),
    "attribute": _l("%(attribute)s changed from '%(old)s' to '%(new)s'"),
    "documentation": _l("documentation changed"),
    "condition": _l("condition changed from '%(old)s' to '%(new)s'"),
    "script": _l("script changed"),
    "timer": _l("timer changed from '%(old)s' to '%(new)s'"),
    "field-added": _l("form field '%(field)s' added"),
    "field-removed": _l("form field '%(field)s' removed"),
    "field-changed": _l("form field '%(field)s' changed"),
    "properties": _l("properties changed"),
}

REASON_MESSAGES = {
    "element-removed": _l("'%(name)s' (%(element)s), where the case is, is not in version %(version)s"),
    "type-changed": _l("'%(name)s' is a %(new)s in version %(version)s, no longer a %(old)s"),
    "form-changed": _l(
        "the form of '%(name)s' changed in version %(version)s (%(fields)s); whoever works on it may have typed into the old one"
    ),
    "passed-element-removed": _l(
        "the case has passed '%(name)s' (%(element)s), which version %(version)s removed"
    ),
    "changed-meanwhile": _l(
        "someone completed a step of the case while it was being moved; run the dry run again"
    ),
}

# The element kinds that CHANGE_MESSAGES name (engine/version_diff.py ELEMENT_TYPES).
ELEMENT_TYPE_NAMES = {
    "boundary event": _l("boundary event"),
    "end event": _l("end event"),
    "exclusive gateway": _l("exclusive gateway"),
    "inclusive gateway": _l("inclusive gateway"),
    "intermediate event": _l("intermediate event"),
    "lane": _l("lane"),
    "parallel gateway": _l("parallel gateway"),
    "script task": _l("script task"),
    "sequence flow": _l("sequence flow"),
    "service task": _l("service task"),
    "start event": _l("start event"),
    "subprocess": _l("subprocess"),
    "task": _l("task"),
    "user task": _l("user task"),
}


def deploy_conflict(err: Conflict) -> str:
    """A deploy that lost the race for its version number (engine.processes.deployment.deploy), in words."""
    return gettext(
        "Someone deployed version %(version)s of %(key)s meanwhile, so nothing was deployed. "
        "Reload and deploy again.",
        version=err.params["version"],
        key=err.params["key"],
    )
