"""Our SpiffWorkflow dialect: parsing diagrams, form fields, roles and effects declared in them, timer
events on the injected clock, the state serializer, safe XML and the script sandbox.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.bpmn.effects import Effect
from engine.bpmn.form_fields import (
    FIELD_TYPES,
    MAX_NAME_LENGTH,
    PERSONAL_KINDS,
    DrawnImage,
    FieldDef,
    FieldError,
    Option,
    control_character_error,
    initial_values,
    parse_local_datetime,
    validate_form,
)
from engine.bpmn.parser import (
    BPMN_NS,
    CAMUNDA_NS,
    DefinitionError,
    ParsedDefinition,
    SpecCache,
    UserTaskInfo,
    candidate_groups_for,
    content_hash,
    element_properties,
    fields_by_id,
    normalise_timer_expression,
    parse_definition,
)
from engine.bpmn.roles import (
    ANSWER_FIELD,
    CALLBACK,
    COMPLAINT,
    OUTAGE,
    REPLIED,
    ROLE_MESSAGES,
    SAMPLED_CALLBACK,
    SATISFIED,
    SITE_VISIT,
    DiagramRoles,
    read_roles,
    roles_of_xml,
)
from engine.bpmn.safe_xml import MAX_BPMN_BYTES, XML_MESSAGES, UnsafeXml, parse_xml
from engine.bpmn.sandbox import (
    SAFE_BUILTINS,
    SandboxEnvironment,
    SandboxScriptEngine,
    ScriptRejected,
    check_source,
    script_functions,
)
from engine.bpmn.serializer import StateSerializer
from engine.bpmn.timer_events import ClockDurationTimerEventDefinition, ClockTimeDateEventDefinition, due_time
from engine.bpmn.variable_labels import VariableLabel, read_variable_labels

__all__ = [
    "ANSWER_FIELD",
    "BPMN_NS",
    "CALLBACK",
    "CAMUNDA_NS",
    "COMPLAINT",
    "ClockDurationTimerEventDefinition",
    "ClockTimeDateEventDefinition",
    "DefinitionError",
    "DiagramRoles",
    "DrawnImage",
    "Effect",
    "FIELD_TYPES",
    "PERSONAL_KINDS",
    "FieldDef",
    "FieldError",
    "MAX_BPMN_BYTES",
    "OUTAGE",
    "Option",
    "ParsedDefinition",
    "REPLIED",
    "ROLE_MESSAGES",
    "SAFE_BUILTINS",
    "SAMPLED_CALLBACK",
    "SATISFIED",
    "SITE_VISIT",
    "SandboxEnvironment",
    "SandboxScriptEngine",
    "ScriptRejected",
    "SpecCache",
    "StateSerializer",
    "UnsafeXml",
    "UserTaskInfo",
    "VariableLabel",
    "XML_MESSAGES",
    "candidate_groups_for",
    "check_source",
    "content_hash",
    "due_time",
    "element_properties",
    "fields_by_id",
    "initial_values",
    "normalise_timer_expression",
    "parse_definition",
    "parse_local_datetime",
    "control_character_error",
    "MAX_NAME_LENGTH",
    "parse_xml",
    "read_roles",
    "read_variable_labels",
    "roles_of_xml",
    "script_functions",
    "validate_form",
]
