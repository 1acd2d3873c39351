"""A model's problems and a version diff's changes in the reader's language.

The engine names each problem by a code with parameters (engine/bpmn/parsing.py, engine/bpmn/lint.py) and
keeps an English sentence for the command line and the API; the pages say it with the templates below.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext, lazy_gettext as _

from engine.read.process_diff import FacetChange

# What a BPMN element is, by its type.
ELEMENT_TYPES = {
    "userTask": _("User task"), "scriptTask": _("Script task"), "serviceTask": _("Service task"),
    "task": _("Task"), "manualTask": _("Manual task"), "receiveTask": _("Receive task"), "sendTask": _("Send task"),
    "businessRuleTask": _("Business rule task"), "callActivity": _("Call activity"), "subProcess": _("Subprocess"),
    "startEvent": _("Start event"), "endEvent": _("End event"), "boundaryEvent": _("Boundary event"),
    "intermediateCatchEvent": _("Intermediate catch event"), "intermediateThrowEvent": _("Intermediate throw event"),
    "exclusiveGateway": _("Exclusive gateway"), "parallelGateway": _("Parallel gateway"),
    "inclusiveGateway": _("Inclusive gateway"), "eventBasedGateway": _("Event-based gateway"),
    "sequenceFlow": _("Sequence flow"), "lane": _("Lane"), "process": _("Process"), "message": _("Message"),
    "participant": _("Participant"), "collaboration": _("Collaboration"), "messageFlow": _("Message flow"),
    "dataObject": _("Data object"), "dataObjectReference": _("Data object reference"), "textAnnotation": _("Annotation"),
    "association": _("Association"),
}

# A diff's facets, by their name (properties are "property <name>"; other nested facets keep their path).
FACETS = {
    "type": _("type"), "name": _("name"), "documentation": _("description"), "script": _("script"),
    "scriptFormat": _("script language"), "conditionExpression": _("condition"), "sourceRef": _("from"),
    "targetRef": _("to"), "default": _("default flow"), "flowNodeRef": _("elements in the lane"),
    "attachedToRef": _("attached to"), "cancelActivity": _("interrupting"), "isExecutable": _("executable"),
    "processRef": _("process"), "messageEventDefinition@messageRef": _("message"),
    "spiffworkflow:messagePayload": _("message payload"), "timerEventDefinition/timeCycle": _("timer cycle"),
    "timerEventDefinition/timeDate": _("timer date"), "timerEventDefinition/timeDuration": _("timer duration"),
    "spiffworkflow:serviceTaskOperator@id": _("query"),
    "spiffworkflow:serviceTaskOperator@resultVariable": _("result variable"),
}

# The engine's refusals and warnings by code, with its parameters; %(element)s is the element's id.
MESSAGES: dict[str, Any] = {
    # The file itself: these stop the checks at once.
    "not_utf8": _("The file is not UTF-8 text (%(reason)s at byte %(byte)s): save the BPMN file as UTF-8."),
    "unsafe_xml": _("Refused unsafe XML (%(kind)s): DTDs, entities and external references are not allowed."),
    "malformed_xml": _("The XML is malformed: %(detail)s"),
    "not_bpmn": _("Not a BPMN 2.0 file: the root element is %(root)s, not bpmn:definitions."),
    "process_count": _("Expected one executable process, found %(count)s (%(ids)s)."),
    "bpmn_invalid": _("The BPMN is not valid: %(detail)s"),
    # Steps
    "manual_task": _("A manual or untyped task: use a user task (with a lane and a form) or a script task."),
    "no_lane": _("The user task is in no lane: put it in a lane named after a role."),
    "unknown_role": _("The user task is in lane %(lane)s, which names no known role (known: %(known)s)."),
    "no_form_key": _("The user task has no form (formKey)."),
    "unknown_form": _("The form %(form)s does not exist in forms/."),
    "bad_due_in": _("dueIn %(value)s is not an ISO 8601 duration such as P14D."),
    "bad_flag": _("%(property)s must be true or false, not %(value)s."),
    "bad_priority": _("priority must be 1, 2 or 3, not %(value)s."),
    "bad_signature": _("signature must be “required” (or left out), not %(value)s."),
    "meaning_without_signature": _("signatureMeaning is given without signature “required”: declare the signature "
                                   "or drop the meaning."),
    "bad_signature_meaning": _("signatureMeaning must be a short phrase of 1 to %(max)s characters (e.g. approval), "
                               "not %(value)s."),
    "unknown_query": _("The service task names query %(query)s, which the engine does not answer (known: "
                       "%(known)s)."),
    "query_parameters": _("Query %(query)s takes the parameters %(expected)s, not %(given)s."),
    "no_result_variable": _("Give the service task a result variable: the data name that receives what it gathers."),
    "bad_context": _("context names %(unknown)s: list the ids of start events and user tasks of this process, "
                     "comma-separated."),
    "title_not_on_start": _("instanceTitle belongs on a start event (it titles the instances that event starts)."),
    "code_refused": _("The %(kind)s %(source)s is refused: %(reason)s"),
    # Starts
    "two_starts": _("More than one %(trigger)s start event (%(ids)s): merge them into one."),
    "unsupported_start": _("%(trigger)s start events are not supported: use none, message or timer."),
    "unknown_start_form": _("The start form %(form)s does not exist in forms/."),
    "unknown_start_roles": _("startRoles names unknown role(s) %(roles)s."),
    "bad_time_cycle": _("The timer needs a timeCycle that is a quoted repeating interval such as %(example)s, not "
                        "%(cycle)s (%(reason)s)."),
    "unsupported_time_cycle": _("timeCycle %(cycle)s must look like %(example)s: R without a count, with a UTC "
                                "offset."),
    # Warnings: it deploys, but may not run as meant.
    "unreachable": _("%(name)s cannot be reached from any start event."),
    "dead_end": _("%(name)s leads to no end event."),
    "loop_without_wait": _("A loop without a wait state (a user task, a timer or a message): %(ids)s. It would run "
                           "until the engine gives up, so it is refused."),
    "no_default_flow": _("The gateway has only conditional flows out (%(flows)s) and no default flow: if every "
                         "condition is false the instance stops here."),
    "no_end_event": _("The process has no end event: draw where each path ends."),
    "no_due": _("%(name)s has no dueIn or dueDate: it is never due, never overdue."),
    "timer_too_frequent": _("The timer repeats every %(period)s (timeCycle %(cycle)s): a timer may not repeat more "
                            "often than once a minute."),
    "short_timer_cycle": _("The timer repeats every %(period)s (timeCycle %(cycle)s): shorter than an hour."),
}


@dataclass(frozen=True)
class Described:
    """A problem as a page shows it: where, how bad, and what to do, in the reader's language."""

    code: str
    element: str | None
    severity: str
    text: str


def describe(problem: Any) -> Described:
    """A refusal or warning of the engine in the page's language (its English sentence when no template has it)."""
    template = MESSAGES.get(problem.code)
    text = problem.message
    if template is not None:
        named = problem.params.get("name") or problem.element or ""
        try:
            text = str(template) % {"element": problem.element or "", **problem.params, "name": named}
        except (KeyError, TypeError, ValueError):
            text = problem.message  # a template out of step with the engine: its own sentence is still right
    return Described(problem.code, problem.element, problem.severity, text)


def element_type(kind: str) -> str:
    """A BPMN element type in the page's language."""
    return str(ELEMENT_TYPES.get(kind, kind))


def facet_name(facet: str) -> str:
    """A diff facet in the page's language: a property by its name, a known facet by its word."""
    if facet.startswith("property "):
        return gettext("property %(name)s", name=facet.removeprefix("property "))
    return str(FACETS.get(facet, facet))


def describe_facet(change: FacetChange) -> str:
    """One changed facet in words: set, removed or changed from one value to another."""
    name = facet_name(change.facet)
    if change.old is None:
        return gettext("%(facet)s set to “%(new)s”", facet=name, new=_short(change.new))
    if change.new is None:
        return gettext("%(facet)s removed (was “%(old)s”)", facet=name, old=_short(change.old))
    return gettext("%(facet)s changed from “%(old)s” to “%(new)s”", facet=name, old=_short(change.old),
                   new=_short(change.new))


def _short(text: str | None, limit: int = 300) -> str:
    text = (text or "").replace("\n", " ⏎ ")
    return text if len(text) <= limit else text[:limit] + "…"
