"""What the engine does with each BPMN 2.0 element and each Camunda 7 extension a diagram can hold.

Every construct is in one of three classes: it *runs* (implemented and tested), it is *refused* (the
message says why and what to draw instead), or it is *ignored with a warning* (only what changes
nothing about how a case runs). Validation (engine/processes/constructs_check.py) classifies each
element and attribute it meets with this table, and docs/modelling.md shows the same table, generated
from it (scripts/construct_table.py) and checked against it by a test.

A construct's key is how the walker names what it meets:
- `bpmn:<element>`, or `bpmn:<parent>/bpmn:<element>` where the parent decides (an event definition
  in a start event is another thing than in a boundary event);
- `camunda:<element>` for an extension element, `bpmn:<owner>/camunda:<element>` where the owner
  decides (a form on a user task runs, a form on a start event does not);
- `@camunda:<attribute>` for an extension attribute, `bpmn:<owner>@camunda:<attribute>` likewise;
- a few keys that name a value rather than a tag (`condition:juel`, `scriptFormat:other`), checked by
  the walker's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.messages import N_


class Support(StrEnum):
    RUNS = "runs"
    REFUSED = "refused"
    IGNORED = "ignored with a warning"


@dataclass(frozen=True)
class Construct:
    key: str
    support: Support
    # For the docs table: what it does here, or why it is refused and what to draw instead (English).
    note: str
    # The message of a refusal or a warning (with %(name)s for the element, %(value)s for what it holds);
    # None for what runs as written, and for what another check of validation reports under its own code.
    template: str | None = None
    checked_elsewhere: str | None = None

    @property
    def code(self) -> str:
        """The problem's or warning's message code: the key in lower case, BPMN's and attributes'
        namespaces left out (construct-servicetask, construct-assignee, construct-camunda-formdata)."""
        if self.key in ("bpmn:other", "extension:other"):
            return "construct-" + self.key.replace(":", "-")
        text = self.key.replace("@camunda:", "-").replace("bpmn:", "").replace("camunda:", "camunda-")
        slug = "".join(c if c.isalnum() else "-" for c in text.lower())
        return "construct-" + "-".join(part for part in slug.split("-") if part)


def _runs(key: str, note: str) -> Construct:
    return Construct(key, Support.RUNS, note)


def _refused(key: str, note: str, template: str) -> Construct:
    return Construct(key, Support.REFUSED, note, template)


def _ignored(key: str, note: str, template: str) -> Construct:
    return Construct(key, Support.IGNORED, note, template)


def _refused_elsewhere(key: str, note: str, code: str) -> Construct:
    """Refused by another check of validation, under `code`; listed here so the table is whole."""
    return Construct(key, Support.REFUSED, note, checked_elsewhere=code)


_NO_MESSAGES = N_(
    "'%(name)s' sends a message or starts on one (%(value)s), which is not supported: a case here only "
    "receives messages (a receive task, or a message catch or boundary event, delivered through the "
    "API). Use a user task where staff record what was sent, or a script task with the notify property."
)

CONSTRUCTS: tuple[Construct, ...] = (
    # --- the file and the process ---------------------------------------------------------------
    _runs("bpmn:definitions", "The file: one executable process, drawn."),
    _runs("bpmn:process", "The procedure; its id is the key. Exactly one per file is executable."),
    _runs(
        "bpmn:collaboration", "Pools: only the executable process's pool runs; the others are drawing only."
    ),
    _runs("bpmn:participant", "A pool."),
    _runs("bpmn:laneSet", "Lanes: for reading; candidate groups decide who does a task."),
    _runs("bpmn:lane", "A lane (for reading)."),
    _runs("bpmn:childLaneSet", "Lanes inside a lane (for reading)."),
    _runs("bpmn:flowNodeRef", "Which elements a lane holds (for reading)."),
    _runs("bpmn:documentation", "English text naming the rule ids the element carries."),
    _runs("bpmn:extensionElements", "Holds the Camunda extensions below."),
    _runs("bpmn:incoming", "A flow into an element."),
    _runs("bpmn:outgoing", "A flow out of an element."),
    _runs("bpmn:textAnnotation", "A note on the drawing; no behaviour."),
    _runs("bpmn:text", "The text of a note."),
    _runs("bpmn:association", "Links a note to an element; no behaviour."),
    _runs("bpmn:group", "A frame on the drawing; no behaviour."),
    _runs("bpmn:category", "The name of a group."),
    _runs("bpmn:categoryValue", "The name of a group."),
    _ignored(
        "bpmn:messageFlow",
        "Drawn only: nothing is sent between pools.",
        N_(
            "Message flow '%(name)s' is drawn only: nothing is sent or received between pools. The "
            "diagram deploys; say in a text annotation what happens instead."
        ),
    ),
    # --- events ---------------------------------------------------------------------------------
    _runs("bpmn:startEvent", "A plain start event: staff (or the system) open the case."),
    _runs("bpmn:endEvent", "A plain end event: the case (or the branch) ends."),
    _runs("bpmn:intermediateThrowEvent", "A plain intermediate event: marks a milestone and passes on."),
    _runs(
        "bpmn:intermediateCatchEvent",
        "With a timer: waits until the time (a repeating timer: its first time); without a definition "
        "it passes on.",
    ),
    _runs(
        "bpmn:boundaryEvent",
        "With a timer on a user task: the task's deadline; a repeating timer on a non-interrupting "
        "boundary event is a reminder, its path taken at each repetition.",
    ),
    _runs(
        "bpmn:timerEventDefinition",
        "timeDuration (PT2H, ${var}), timeDate (${var}, working_days(2)) or timeCycle (R3/PT1H).",
    ),
    _runs("bpmn:timeDate", "A date and time: an ISO value, a field, or a calendar function."),
    _runs("bpmn:timeDuration", "A duration such as PT2H."),
    _runs(
        "bpmn:timeCycle",
        "A repetition: R3/PT1H (three times, hourly), R/PT10M (until the task is done) or "
        "R3/2026-12-01T08:00:00/PT1H, or ${var}. On a non-interrupting boundary event each repetition "
        "takes the path again, until the count is used up or the task is done; on an interrupting boundary "
        "event or an intermediate catch event the first time decides. R0, a missing duration or a value "
        "that is no repetition is refused.",
    ),
    _refused_elsewhere(
        "timer:empty", "A timer without an expression (as the modeler leaves a new one).", "timer-empty"
    ),
    _refused(
        "bpmn:startEvent/bpmn:timerEventDefinition",
        "Cases are opened by staff or by the system, not by a timer start event.",
        N_(
            "Start event '%(name)s' has a timer: cases are opened by staff or by the system's own "
            "schedule, not by a timer start event. Make it a plain start event."
        ),
    ),
    _runs(
        "bpmn:intermediateCatchEvent/bpmn:messageEventDefinition",
        "Waits for the named message, delivered through the API (POST /api/v1/messages) by case number "
        "or correlation keys; its variables go into the case.",
    ),
    _runs(
        "bpmn:boundaryEvent/bpmn:messageEventDefinition",
        "A message that arrives while the task is open: interrupting or not, as drawn.",
    ),
    _runs(
        "bpmn:intermediateCatchEvent/bpmn:signalEventDefinition",
        "Waits for the named signal (POST /api/v1/signals), which reaches every case waiting for it.",
    ),
    _runs(
        "bpmn:boundaryEvent/bpmn:signalEventDefinition",
        "A signal that arrives while the task is open: interrupting or not, as drawn.",
    ),
    _refused(
        "event:unnamed",
        "A message or signal catch without a named message or signal: nothing could deliver it.",
        N_(
            "'%(name)s' waits for a message or signal that has no name (%(value)s), so nothing could "
            "deliver it and the case would wait for ever. Choose or create a global message or signal "
            "with a name in the modeler (Message or Signal, then its name)."
        ),
    ),
    _refused(
        "bpmn:messageEventDefinition",
        "Sending a message, or a start or end event on one: not supported; messages are received only.",
        _NO_MESSAGES,
    ),
    _refused(
        "bpmn:signalEventDefinition",
        "Sending a signal, or a start or end event on one: not supported; signals are received only.",
        N_(
            "'%(name)s' sends a signal or starts on one (%(value)s), which is not supported: a case here "
            "only receives signals (a signal catch or boundary event, sent through the API). Use a user "
            "task where staff record what happened."
        ),
    ),
    _refused(
        "bpmn:conditionalEventDefinition",
        "Nothing re-evaluates the condition; use an exclusive gateway after the step that sets the data.",
        N_(
            "'%(name)s' waits until a condition holds (conditional event), which is not supported: "
            "nothing would look at the condition again. Put an exclusive gateway after the step that "
            "sets the data."
        ),
    ),
    _refused(
        "bpmn:errorEventDefinition",
        "Errors come from Java code; use an exclusive gateway to another path.",
        N_(
            "'%(name)s' throws or catches a BPMN error, which only Java code raises in Camunda. Use an "
            "exclusive gateway that leads to the other path."
        ),
    ),
    _refused(
        "bpmn:escalationEventDefinition",
        "Not supported; notify a head with the notify property instead.",
        N_(
            "'%(name)s' is an escalation event, which is not supported. To tell a head or the "
            "supervisors, give a step the property notify (see docs/modelling.md)."
        ),
    ),
    _refused(
        "bpmn:compensateEventDefinition",
        "Compensation is not supported; draw the undoing steps as a path of their own.",
        N_(
            "'%(name)s' is a compensation event, which is not supported. Draw the steps that undo the "
            "work as a path of their own after an exclusive gateway."
        ),
    ),
    _refused(
        "bpmn:linkEventDefinition",
        "Draw the sequence flow instead of a link.",
        N_("'%(name)s' is a link event, which is not supported. Draw the sequence flow instead."),
    ),
    _refused(
        "bpmn:terminateEventDefinition",
        "Not supported yet; use a plain end event.",
        N_(
            "End event '%(name)s' terminates the case, which is not supported yet. Use a plain end "
            "event and join the other branches before it."
        ),
    ),
    _refused(
        "bpmn:cancelEventDefinition",
        "Transactions are not supported.",
        N_("'%(name)s' is a cancel event, which is not supported (there are no transactions)."),
    ),
    # --- tasks ----------------------------------------------------------------------------------
    _runs("bpmn:userTask", "Work for the people of its candidate groups, with a form."),
    _runs("bpmn:scriptTask", "A Python script in the sandbox (scriptFormat python)."),
    _runs("bpmn:script", "The script of a script task."),
    _refused(
        "scriptFormat:other",
        "Only Python runs; Groovy or JavaScript that happens to parse would fail while the case runs.",
        N_(
            "Script task '%(name)s' is written in %(value)s; scripts here are Python (scriptFormat "
            "python). Rewrite the script in Python."
        ),
    ),
    _refused(
        "bpmn:task",
        "A plain task asks nobody; make it a user task or a script task.",
        N_(
            "'%(name)s' is a plain task (no type): nobody would be asked to do it and the case would "
            "wait for ever. Make it a user task with candidate groups and a form, or a script task."
        ),
    ),
    _refused(
        "bpmn:manualTask",
        "Done outside the system, waited for by nobody; make it a user task where staff confirm it.",
        N_(
            "'%(name)s' is a manual task: it is done outside the system and nothing would ever mark it "
            "done. Make it a user task where the person confirms it (a form with one field)."
        ),
    ),
    _runs(
        "bpmn:receiveTask",
        "Waits for its message, delivered through the API by case number or correlation keys.",
    ),
    _refused(
        "bpmn:sendTask",
        "Nothing sends messages; use a script task with the notify property.",
        N_(
            "'%(name)s' is a send task, which needs Java code. To tell people, use a script task with "
            "the property notify (see docs/modelling.md)."
        ),
    ),
    _runs(
        "bpmn:serviceTask",
        'An external task (camunda:type="external", camunda:topic): waits until a worker fetches, locks '
        "and completes it through the API (docs/api.md).",
    ),
    _refused(
        "serviceTask:java",
        "Java delegates, expressions and connectors need Java; make it an external task or a script task.",
        N_(
            "'%(name)s' is a service task (%(value)s), which needs Java code. Make it an external task "
            '(camunda:type="external" with a topic, done by a worker through the API) or a script task.'
        ),
    ),
    _runs(
        "bpmn:businessRuleTask",
        "Runs a deployed DMN decision table (camunda:decisionRef); its outputs go into the case data by name.",
    ),
    _runs(
        "bpmn:callActivity",
        "Opens a case of another deployed procedure (calledElement = its key) and waits until it ends; "
        "the two cases are linked on both case pages.",
    ),
    _refused(
        "callActivity:unknown",
        "A call activity without calledElement, or with an expression for it: name the procedure's key.",
        N_(
            "Call activity '%(name)s' does not name the procedure it calls (%(value)s). Write the key of "
            "a deployed procedure in Called element (an expression such as ${key} is not read)."
        ),
    ),
    _runs(
        "bpmn:userTask/bpmn:multiInstanceLoopCharacteristics",
        "One task per item of camunda:collection (or loopCardinality tasks), parallel or sequential "
        "(isSequential); each instance is its own task with its own candidate groups, due date and form; "
        "what each recorded is kept in the case data as <element id>_results.",
    ),
    _runs("bpmn:loopCardinality", "How many instances: a number or an expression over the case data (${n})."),
    _runs(
        "bpmn:completionCondition",
        "Checked after each instance (JUEL translated to Python, with nrOfInstances, "
        "nrOfCompletedInstances, nrOfActiveInstances); once true, the open instances are withdrawn.",
    ),
    _refused(
        "bpmn:multiInstanceLoopCharacteristics",
        "Multi-instance runs on user tasks only; draw the other step after a multi-instance user task.",
        N_(
            "'%(name)s' runs once per item (multi-instance), which runs here on user tasks only. Make "
            "it a multi-instance user task, or let one script handle every item of the list."
        ),
    ),
    _refused(
        "bpmn:standardLoopCharacteristics",
        "Not supported; loop back with an exclusive gateway.",
        N_("'%(name)s' is a loop task, which is not supported. Loop back with an exclusive gateway."),
    ),
    # --- gateways and flows ---------------------------------------------------------------------
    _runs("bpmn:exclusiveGateway", "One outgoing flow by its Python condition, or the default flow."),
    _runs("bpmn:parallelGateway", "All outgoing flows; joining waits for every incoming one."),
    _runs("bpmn:sequenceFlow", "A flow; leaving an exclusive gateway it has a condition or is the default."),
    _runs("bpmn:conditionExpression", "A Python expression over the case data (satisfied == 'no')."),
    Construct(
        "condition:juel-common",
        Support.RUNS,
        "JUEL in its common forms (${var}, ${a == b}, ${!x}, ${a && b}, ${x > 5}, #{...}) runs as the "
        "Python a notice shows.",
        N_(
            "The condition %(value)s of flow '%(name)s' is JUEL; it runs as the Python %(python)s. "
            "Write that in the diagram to make this notice go away."
        ),
    ),
    _refused(
        "condition:juel",
        "Other JUEL (method calls, execution, task, ...) needs Java; write the Python the message shows.",
        N_(
            "The condition %(value)s of flow '%(name)s' is JUEL, Camunda's Java expression language; "
            "conditions here are Python over the case data. Write: %(python)s"
        ),
    ),
    _refused(
        "condition:feel",
        "FEEL (=x > 1), the expression language of Camunda 8; write the Python the message shows.",
        N_(
            "The condition %(value)s of flow '%(name)s' is FEEL, the expression language of Camunda 8 "
            "(Zeebe); conditions here are Python over the case data. Write: %(python)s"
        ),
    ),
    _refused(
        "condition:language",
        "Conditions in Groovy, JavaScript or another script language; write Python.",
        N_(
            "The condition of flow '%(name)s' is written in %(value)s; conditions here are Python "
            "over the case data (for example approved == True). Rewrite it and leave its language empty."
        ),
    ),
    _refused(
        "flow:from-task",
        "Only gateways choose or split: put a gateway after the task.",
        N_(
            "'%(name)s' has %(value)s outgoing flows or a conditional flow; only gateways choose or "
            "split. Put an exclusive gateway after it to choose one way, or a parallel gateway to take "
            "all."
        ),
    ),
    _refused(
        "bpmn:inclusiveGateway",
        "Not supported yet; use exclusive and parallel gateways.",
        N_(
            "'%(name)s' is an inclusive gateway, which is not supported yet. Use an exclusive gateway "
            "(one way) or a parallel gateway (every way)."
        ),
    ),
    _refused(
        "bpmn:eventBasedGateway",
        "Waits for messages or signals; use a timer on a user task instead.",
        N_(
            "'%(name)s' is an event-based gateway, which waits for messages or signals that are not "
            "supported yet. Put a timer on a user task instead (its deadline)."
        ),
    ),
    _refused(
        "bpmn:complexGateway",
        "Not supported; use exclusive and parallel gateways.",
        N_("'%(name)s' is a complex gateway, which is not supported. Use exclusive and parallel gateways."),
    ),
    # --- sub-processes --------------------------------------------------------------------------
    _runs("bpmn:subProcess", "An embedded sub-process: its steps run inside the case."),
    _refused(
        "subProcess:event",
        "Event sub-processes are not supported; use a timer on a user task.",
        N_(
            "'%(name)s' is an event sub-process, which is not supported. Put a timer on the user task "
            "it should watch, leading to the steps it holds."
        ),
    ),
    _refused(
        "bpmn:transaction",
        "Transactions are not supported; use an embedded sub-process.",
        N_("'%(name)s' is a transaction, which is not supported. Use an embedded sub-process."),
    ),
    _refused(
        "bpmn:adHocSubProcess",
        "Ad-hoc sub-processes are not supported; draw the steps in order.",
        N_(
            "'%(name)s' is an ad-hoc sub-process, which is not supported. Draw its steps in the order "
            "they are done, with gateways where staff choose."
        ),
    ),
    # --- data -----------------------------------------------------------------------------------
    _refused(
        "bpmn:dataStoreReference",
        "The case data is the store; remove it (a text annotation may say where data comes from).",
        N_(
            "Data store '%(name)s' is not supported: a case keeps its data in its form fields and "
            "script variables. Remove it; a text annotation can say where the data comes from."
        ),
    ),
    _refused(
        "bpmn:dataObjectReference",
        "Case data lives in form fields and script variables; remove it.",
        N_(
            "Data object '%(name)s' is not supported: a case keeps its data in its form fields and "
            "script variables. Remove it; a text annotation can name the document."
        ),
    ),
    _refused(
        "bpmn:dataObject",
        "Case data lives in form fields and script variables; remove it.",
        N_(
            "Data object '%(name)s' is not supported: a case keeps its data in its form fields and "
            "script variables. Remove it; a text annotation can name the document."
        ),
    ),
    _refused(
        "bpmn:dataInputAssociation",
        "Data objects and stores are not supported; remove the association.",
        N_(
            "'%(name)s' reads a data object or store, which is not supported. Remove the association; "
            "a step reads the case data by name."
        ),
    ),
    _refused(
        "bpmn:dataOutputAssociation",
        "Data objects and stores are not supported; remove the association.",
        N_(
            "'%(name)s' writes a data object or store, which is not supported. Remove the association; "
            "a step writes the case data through its form or script."
        ),
    ),
    _refused(
        "bpmn:ioSpecification",
        "Inputs and outputs are not supported; steps read and write the case data by name.",
        N_(
            "'%(name)s' declares inputs and outputs (ioSpecification), which are not supported. Remove "
            "them; steps read and write the case data by name."
        ),
    ),
    _refused(
        "bpmn:property",
        "Element properties of BPMN itself are not supported; use the case data.",
        N_(
            "'%(name)s' has a BPMN property, which is not supported. Remove it; use a form field or a "
            "script variable."
        ),
    ),
    # --- Camunda: who, when, forms ----------------------------------------------------------------
    _runs("bpmn:userTask@camunda:candidateGroups", "Roles or departments, or ${field} from the case data."),
    _runs("camunda:properties", "Properties: name_en, help, role, notify, casePrefix and the others below."),
    _runs("camunda:property", "One property."),
    _runs("bpmn:userTask/camunda:formData", "The task's form."),
    _runs(
        "bpmn:startEvent/camunda:formData",
        "The intake form that opens a case: checked like a task's form, its values in the case data. "
        "The candidate starters fill it in, else the people of the first user task.",
    ),
    _runs("camunda:formField", "A form field: string, long, boolean, date, datetime, enum, signature."),
    _runs("camunda:validation", "A field's constraints."),
    _runs("camunda:constraint", "required, readonly, minlength, maxlength, min, max, pattern."),
    _runs("camunda:value", "A choice of an enum field, or an item of a parameter's list."),
    _refused(
        "camunda:formData",
        "Only user tasks and the start event have forms.",
        N_(
            "'%(name)s' has a form (camunda:formData), but here only user tasks and the process's "
            "start event have forms. Move the fields to a user task."
        ),
    ),
    _refused(
        "camunda:formProperty",
        "Legacy form properties; use form fields.",
        N_(
            "'%(name)s' has form properties (camunda:formProperty), an old form format that is not read. "
            "Use form fields (Forms → Generated task form)."
        ),
    ),
    _refused(
        "@camunda:formKey",
        "Forms are generated from form fields; embedded or external forms are not read.",
        N_(
            "'%(name)s' names the form %(value)s (camunda:formKey), which is not read: forms are built "
            "from the form fields. Remove the form key and add form fields to a user task."
        ),
    ),
    _refused(
        "@camunda:formRef",
        "Camunda Forms are not read; use form fields.",
        N_(
            "'%(name)s' links a Camunda Form (camunda:formRef %(value)s), which is not read. Use form "
            "fields (Forms → Generated task form)."
        ),
    ),
    _refused(
        "@camunda:formHandlerClass",
        "Java form handlers are not supported.",
        N_("'%(name)s' names a Java form handler (%(value)s), which is not supported. Remove it."),
    ),
    _runs(
        "bpmn:userTask@camunda:assignee",
        "The person the task is given to: a user name or ${field}; it is theirs, as a claimed task is.",
    ),
    _runs(
        "bpmn:userTask@camunda:candidateUsers",
        "People who may do the task besides its candidate groups: user names or ${field}.",
    ),
    _runs(
        "@camunda:dueDate",
        "The task's deadline: an ISO date-time, a duration from its creation (P2D = two working days) "
        "or ${field}; a timer on the task comes first.",
    ),
    _runs(
        "@camunda:followUpDate",
        "When to look at the task again, shown in the tasklist: as dueDate.",
    ),
    _runs(
        "@camunda:priority",
        "A whole number or ${field} (default 50): higher first in the tasklist within the same deadline.",
    ),
    _runs(
        "@camunda:candidateStarterGroups",
        "Who may open a case of the procedure (roles or departments), instead of the intake step's groups.",
    ),
    _runs("@camunda:candidateStarterUsers", "People who may open a case of the procedure, by user name."),
    _refused(
        "camunda:potentialStarter",
        "Name who may open a case with candidate starter groups or users instead.",
        N_(
            "Process '%(name)s' names who may start it (potential starter), which is not read. Name them "
            "with the process's candidate starter groups or users (Candidate starter in Camunda Modeler)."
        ),
    ),
    _runs(
        "isStartableInTasklist:false",
        "Staff may not open its cases (no New case choice, 403 on its intake); the system still opens them.",
    ),
    _runs("@camunda:isStartableInTasklist", "true (the default) changes nothing."),
    _runs(
        "@camunda:initiator",
        "The case data item that keeps who opened the case (the system's name if it did).",
    ),
    # --- Camunda: code and data -------------------------------------------------------------------
    _refused(
        "camunda:inputOutput",
        "Input and output mappings of other elements; on script and user tasks they run.",
        N_(
            "'%(name)s' has input/output mappings (camunda:inputOutput), which run only on script and "
            "user tasks here. Remove them: steps read and write the case data by name."
        ),
    ),
    _runs(
        "bpmn:scriptTask/camunda:inputOutput",
        "Input parameters are put into the case data before the script, output parameters after it "
        "(there is no local scope).",
    ),
    _runs(
        "bpmn:userTask/camunda:inputOutput",
        "Input parameters are put into the case data when the task opens, output parameters when it is "
        "completed (there is no local scope).",
    ),
    _runs(
        "camunda:inputParameter", "A text, ${...} in JUEL's common forms, a camunda:list or a camunda:map."
    ),
    _runs("camunda:outputParameter", "As an input parameter, evaluated when the step completes."),
    _runs("camunda:list", "A list of values of a parameter."),
    _runs("camunda:map", "A map of a parameter: camunda:entry key=... with a value each."),
    _runs("camunda:entry", "One entry of a parameter's map."),
    _refused(
        "camunda:script",
        "A script as a parameter's value; compute the value in a script task instead.",
        N_(
            "'%(name)s' computes a parameter with a script (camunda:script), which is not supported. "
            "Compute the value in a script task before the step."
        ),
    ),
    _refused(
        "camunda:executionListener",
        "Listeners run Java or scripts at hidden moments; draw a script task instead.",
        N_(
            "'%(name)s' has an execution listener (%(value)s), which is not supported. Draw a script "
            "task before or after the step instead, so the work shows in the diagram."
        ),
    ),
    _refused(
        "camunda:taskListener",
        "Listeners run Java or scripts at hidden moments; use notify properties or a script task.",
        N_(
            "User task '%(name)s' has a task listener (%(value)s), which is not supported. Use the "
            "property notify to tell people, or a script task after the task."
        ),
    ),
    _runs(
        "bpmn:scriptTask@camunda:resultVariable",
        "The value of the script's last line (an expression) is stored in this case data item.",
    ),
    _refused(
        "@camunda:resultVariable",
        "Assign the variable in the script itself.",
        N_(
            "'%(name)s' puts its result in '%(value)s' (camunda:resultVariable), which is not supported "
            "yet. Assign the variable in the script itself (%(value)s = ...)."
        ),
    ),
    _refused(
        "@camunda:resource",
        "Scripts live in the diagram; paste the Python into the script task.",
        N_(
            "'%(name)s' takes its script from the resource %(value)s, which is not read. Paste the "
            "Python into the script task (Script type: Inline script)."
        ),
    ),
    _runs(
        "bpmn:serviceTask/camunda:failedJobRetryTimeCycle",
        "How often and after what pause a failed external task is offered again (R3/PT5M or PT1M,PT5M).",
    ),
    _refused(
        "retryCycle:invalid",
        "A retry time cycle that is not R<tries>/<duration> or a list of durations.",
        N_(
            "'%(name)s' has the retry time cycle %(value)s, which cannot be read. Write R3/PT5M (three "
            "tries five minutes apart) or a list of pauses such as PT1M,PT5M,PT10M."
        ),
    ),
    _refused(
        "camunda:failedJobRetryTimeCycle",
        "Only external tasks are retried by a cycle; a failed timer becomes an incident a supervisor retries.",
        N_(
            "'%(name)s' has a retry time cycle (%(value)s), which is not read: a step that fails is an "
            "incident a supervisor retries. Remove it."
        ),
    ),
    _refused(
        "camunda:connector",
        "Connectors need Java; use a script task.",
        N_("'%(name)s' uses a connector, which needs Java. Use a script task or a user task."),
    ),
    _refused(
        "camunda:field",
        "Field injection into Java classes is not supported.",
        N_("'%(name)s' injects a field into Java code (camunda:field), which is not supported. Remove it."),
    ),
    _runs(
        "bpmn:callActivity/camunda:in",
        'Passes the parent\'s variables to the child case when it opens: source/target, or variables="all".',
    ),
    _runs(
        "bpmn:callActivity/camunda:out",
        'Passes the child\'s variables back when it ends: source/target, or variables="all".',
    ),
    _refused(
        "camunda:in",
        "Variables are passed only to a call activity's child case.",
        N_(
            "'%(name)s' passes variables to another process (camunda:in/out), which only a call activity does."
        ),
    ),
    _refused(
        "camunda:out",
        "Variables are passed back only from a call activity's child case.",
        N_(
            "'%(name)s' passes variables to another process (camunda:in/out), which only a call activity does."
        ),
    ),
    _refused(
        "mapping:other",
        "camunda:in/out with sourceExpression, businessKey or local: not supported; use source/target.",
        N_(
            "Call activity '%(name)s' maps variables with %(value)s, which is not supported. Use source "
            'and target (a variable name each), or variables="all".'
        ),
    ),
    _refused(
        "camunda:errorEventDefinition",
        "Errors of external tasks are not supported.",
        N_("'%(name)s' maps errors of an external task, which is not supported. Remove it."),
    ),
    _refused(
        "zeebe",
        "A Camunda 8 (Zeebe) diagram; draw it for Camunda 7 (Camunda Platform).",
        N_(
            "'%(name)s' carries Camunda 8 (Zeebe) settings (%(attribute)s), which are not read. Create "
            "the diagram for Camunda Platform 7 in Camunda Modeler and draw it again."
        ),
    ),
    _runs("bpmn:serviceTask@camunda:type", 'camunda:type="external": the service task is an external task.'),
    _runs("bpmn:serviceTask@camunda:topic", "The topic workers fetch the external task by."),
    _refused(
        "@camunda:class",
        "Java code (also camunda:expression, delegateExpression, type/topic): not supported.",
        N_("'%(name)s' calls Java code (%(value)s), which is not supported. Use a script task."),
    ),
    _refused(
        "@camunda:expression",
        "A JUEL expression run as code: not supported.",
        N_("'%(name)s' calls Java code (%(value)s), which is not supported. Use a script task."),
    ),
    _refused(
        "@camunda:delegateExpression",
        "A Java delegate: not supported.",
        N_("'%(name)s' calls Java code (%(value)s), which is not supported. Use a script task."),
    ),
    _refused(
        "@camunda:type",
        "An external task on anything but a service task: not supported.",
        N_(
            "'%(name)s' waits for an external worker (%(value)s), which is not supported yet. Use a "
            "script task, or a user task for the people who do the work."
        ),
    ),
    _refused(
        "@camunda:topic",
        "An external task's topic on anything but a service task: not supported.",
        N_(
            "'%(name)s' waits for an external worker (%(value)s), which is not supported yet. Use a "
            "script task, or a user task for the people who do the work."
        ),
    ),
    _runs(
        "@camunda:decisionRef",
        'The decision a business rule task runs: the newest version, or the one decisionRefBinding="version" '
        "with decisionRefVersion fixes (other bindings are refused by name). Checked at deploy.",
    ),
    _refused(
        "@camunda:decisionRefVersionTag",
        "A decision's version tag (also decisionRefTenantId): not supported; bind to the latest or a version number.",
        N_(
            "'%(name)s' picks its decision by %(attribute)s (%(value)s), which is not supported. Bind to "
            "the latest version or to a version number (decisionRefBinding version)."
        ),
    ),
    _refused(
        "@camunda:mapDecisionResult",
        "How a decision's result is mapped: not supported; the outputs always go into the case data by name.",
        N_(
            "'%(name)s' maps the decision's result (%(value)s), which is not supported here: the "
            "decision's outputs go into the case data under their own names. Remove mapDecisionResult."
        ),
    ),
    _runs(
        "bpmn:callActivity@camunda:calledElementBinding",
        "latest (the default) or version, with calledElementVersion: which version of the procedure opens.",
    ),
    _runs("bpmn:callActivity@camunda:calledElementVersion", "The version a binding of version opens."),
    _refused(
        "@camunda:calledElementBinding",
        "Bindings deployment and versionTag, version tags, tenants, case references and variable "
        "mapping classes: not supported.",
        N_(
            "'%(name)s' chooses the called procedure by %(attribute)s = %(value)s, which is not supported. "
            "Use the binding latest, or version with a version number."
        ),
    ),
    _runs(
        "bpmn:multiInstanceLoopCharacteristics@camunda:collection",
        "The case data item holding the list (items or ${items}), which a form field or script of the "
        "diagram must set; missing or not a list when the case reaches the step: an incident naming it.",
    ),
    _runs(
        "bpmn:multiInstanceLoopCharacteristics@camunda:elementVariable",
        "The name each instance sees its item under (${assisting_department} in candidate groups, due date).",
    ),
    _refused(
        "@camunda:collection",
        "A collection (also elementVariable) belongs on a multi-instance marker.",
        N_(
            "'%(name)s' names a collection %(value)s outside a multi-instance marker, where it is not "
            "read. Mark the user task multi-instance and set the collection there."
        ),
    ),
    _refused(
        "@camunda:elementVariable",
        "An element variable belongs on a multi-instance marker.",
        N_(
            "'%(name)s' names an element variable %(value)s outside a multi-instance marker, where it is "
            "not read. Mark the user task multi-instance and set it there."
        ),
    ),
    _refused(
        "@camunda:errorCodeVariable",
        "Error variables of error events (also errorMessageVariable, escalationCodeVariable): not supported.",
        N_("'%(name)s' keeps an error or escalation in %(value)s, which is not supported. Remove it."),
    ),
    _refused(
        "@camunda:variableName",
        "A conditional event's variables (also variableEvents): not supported.",
        N_(
            "'%(name)s' watches the variable %(value)s (conditional event), which is not supported. "
            "Put an exclusive gateway after the step that sets it."
        ),
    ),
    # --- ignored, each with a warning ------------------------------------------------------------
    _ignored(
        "@camunda:asyncBefore",
        "Each step is saved when it completes; asynchronous continuations change nothing here.",
        N_(
            "'%(name)s' is marked asynchronous (%(attribute)s); each step is saved as it completes "
            "here, so the setting changes nothing and is not read."
        ),
    ),
    _ignored(
        "@camunda:asyncAfter",
        "Each step is saved when it completes; asynchronous continuations change nothing here.",
        N_(
            "'%(name)s' is marked asynchronous (%(attribute)s); each step is saved as it completes "
            "here, so the setting changes nothing and is not read."
        ),
    ),
    _ignored(
        "@camunda:exclusive",
        "A job setting of Camunda's executor; not read.",
        N_("'%(name)s' has Camunda's job setting %(attribute)s = %(value)s, which is not read here."),
    ),
    _ignored(
        "@camunda:jobPriority",
        "A job setting of Camunda's executor; not read.",
        N_("'%(name)s' has Camunda's job setting %(attribute)s = %(value)s, which is not read here."),
    ),
    _ignored(
        "@camunda:historyTimeToLive",
        "Case history is kept as the records policy says; not read.",
        N_(
            "Process '%(name)s' sets a history time to live (%(value)s days), which is not read: case "
            "history is kept as the hotline's records policy says."
        ),
    ),
    _ignored(
        "@camunda:versionTag",
        "Versions are numbered at deploy, with a comment; not read.",
        N_(
            "Process '%(name)s' has the version tag %(value)s, which is not read: each deploy is "
            "numbered and keeps its comment."
        ),
    ),
    _ignored(
        "@camunda:taskPriority",
        "A setting of external tasks; not read.",
        N_("'%(name)s' has a task priority for external workers (%(value)s), which is not read here."),
    ),
    _ignored(
        "@camunda:modelerTemplate",
        "An element template of Camunda Modeler; not read.",
        N_("'%(name)s' was made from the Camunda Modeler template %(value)s, which is not read here."),
    ),
    _ignored(
        "camunda:other",
        "Any other Camunda setting is named in a warning; the diagram deploys.",
        N_(
            "'%(name)s' has the Camunda setting %(attribute)s, which is not read here. Check it is not needed."
        ),
    ),
    _ignored(
        "extension:other",
        "Settings of other tools (another namespace) are named in a warning; the diagram deploys.",
        N_(
            "'%(name)s' has the setting %(attribute)s of another tool, which is not read here. Check it "
            "is not needed."
        ),
    ),
    _refused(
        "bpmn:other",
        "Any other BPMN element is refused by name.",
        N_("'%(name)s' is a BPMN %(value)s, which is not supported. Remove it or draw it another way."),
    ),
)

BY_KEY: dict[str, Construct] = {c.key: c for c in CONSTRUCTS}
# Camunda attributes that come with another one and are classified with it.
ATTRIBUTE_FAMILIES: dict[str, str] = {
    "async": "asyncBefore",
    "decisionRefBinding": "decisionRef",
    "decisionRefVersion": "decisionRef",
    "decisionRefTenantId": "decisionRefVersionTag",
    "calledElementVersion": "calledElementBinding",
    "calledElementVersionTag": "calledElementBinding",
    "calledElementTenantId": "calledElementBinding",
    "caseRef": "calledElementBinding",
    "caseBinding": "calledElementBinding",
    "caseVersion": "calledElementBinding",
    "caseTenantId": "calledElementBinding",
    "variableMappingClass": "calledElementBinding",
    "variableMappingDelegateExpression": "calledElementBinding",
    "formRefBinding": "formRef",
    "formRefVersion": "formRef",
    "errorMessageVariable": "errorCodeVariable",
    "escalationCodeVariable": "errorCodeVariable",
    "variableEvents": "variableName",
    "modelerTemplateVersion": "modelerTemplate",
    "modelerTemplateIcon": "modelerTemplate",
}
# The problem messages (refusals) and the warnings (ignored), by code.
REFUSAL_MESSAGES: dict[str, str] = {
    c.code: c.template for c in CONSTRUCTS if c.support is Support.REFUSED and c.template
}
# The warnings: what is ignored, and what runs in a form of its own that a notice shows (JUEL translated).
IGNORED_MESSAGES: dict[str, str] = {
    c.code: c.template for c in CONSTRUCTS if c.support is not Support.REFUSED and c.template
}
# Namespaces of the drawing and of modelers' bookkeeping: nothing in them changes how a case runs.
DRAWING_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/BPMN/20100524/DI",
        "http://www.omg.org/spec/DD/20100524/DI",
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://bpmn.io/schema/bpmn/biocolor/1.0",
        "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
        "http://camunda.org/schema/modeler/1.0",
        "http://www.w3.org/2001/XMLSchema-instance",
        "http://www.w3.org/XML/1998/namespace",
    }
)
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"


def as_markdown() -> str:
    """The table of docs/modelling.md: every construct with its class and what it means."""
    lines = ["| construct | class | what it does here, or what to draw instead |", "|---|---|---|"]
    for construct in CONSTRUCTS:
        lines.append(f"| `{construct.key}` | {construct.support.value} | {construct.note} |")
    return "\n".join(lines) + "\n"
