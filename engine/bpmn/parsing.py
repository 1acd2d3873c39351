"""Parse and check a BPMN file before anything is stored: safe XML, lanes, forms, scripts."""
from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn.scripting import SandboxViolation, compile_check
from engine.errors import InvalidProcess
from engine.periods import Period

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# A user task whose properties say signature="required" is completed only with an electronic signature;
# signatureMeaning says what the signature stands for (an English word or phrase, audited with it).
SIGNATURE_REQUIRED = "required"
DEFAULT_SIGNATURE_MEANING = "approval"
MAX_SIGNATURE_MEANING = 80  # the width of HumanTask.signature, which stores it
# Before versions declared their signatures, top management's decisions on these forms were signed; a
# version deployed then (ProcessDefinition.declares_signatures false) keeps that rule for its tasks.
UNDECLARED_SIGNING_ROLE = "top_management"
UNDECLARED_DECISION_FORMS = frozenset({
    "baseline_adjustment.approve_baseline", "carbon_asset_compliance.approve_plan",
    "compliance_reevaluation.approve_report", "document_control.approve", "emissions_accounting.approve_report",
    "internal_audit.approve_programme", "management_programme.approve", "policy_approval.approve",
    "reduction_measure.decide", "service_provider.approve_selection",
})

# lxml with every expansion and fetch switched off; defusedxml has already refused any DTD.
# Comments are dropped: SpiffWorkflow's parser stumbles on a comment inside a script task.
_LXML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                        remove_comments=True)


@dataclass(frozen=True)
class StartEventInfo:
    """How a start event starts its process: by hand, on a message, or on a schedule."""

    event_id: str
    trigger: str  # "none", "message" or "timer"
    message: str | None = None
    form_key: str | None = None
    start_roles: tuple[str, ...] = ()
    cycle: str | None = None  # a timer's timeCycle expression
    title: str | None = None  # its name (Chinese) and titleEn
    title_en: str | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    """A timer start event's repeating interval: the first start and the period between starts."""

    event_id: str
    first_run: datetime
    period: str


@dataclass(frozen=True)
class ParsedProcess:
    """One executable process of a BPMN file, parsed and checked."""

    process_id: str
    name: str
    spec: Any
    subprocess_specs: dict[str, Any]
    start_form_key: str | None
    start_messages: list[str] = field(default_factory=list)
    schedule: ScheduleSpec | None = None


def parse_bpmn(source: bytes, file_name: str, *, roles: Collection[str], form_keys: Collection[str],
               queries: Mapping[str, Collection[str]]) -> ParsedProcess:
    """Parse one BPMN file holding one executable process; raise InvalidProcess naming what is wrong.

    ``queries``: the read-only queries a service task may gather through, each with its parameter names.
    """
    root = _parse_xml(source, file_name)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, file_name)
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            raise InvalidProcess(f"{file_name}: expected one executable process, found "
                                 f"{len(process_ids)} ({', '.join(process_ids) or 'none'})")
        process_id = process_ids[0]
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise InvalidProcess(_describe_validation(exc, file_name)) from exc
    except (SpiffWorkflowException, ValueError) as exc:
        raise InvalidProcess(f"{file_name}: {exc}") from exc
    for each in [spec, *subprocess_specs.values()]:
        _check_user_tasks(each, file_name, roles, form_keys)
        _check_service_tasks(each, file_name, queries)
        _check_code(each, file_name)
    _check_context([spec, *subprocess_specs.values()], file_name)
    starts = start_events(spec)
    _check_starts(starts, file_name, roles, form_keys)
    start_form_key = next((s.form_key for s in starts if s.trigger == "none"), None)
    messages = sorted({s.message for s in starts if s.message})
    return ParsedProcess(process_id, spec.description or process_id, spec, subprocess_specs,
                         start_form_key, messages, _schedule(starts, file_name))


def start_events(spec: Any) -> list[StartEventInfo]:
    """The start events of a process spec (not of its subprocesses), in id order."""
    found = []
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, StartEvent):
            continue
        definition = task_spec.event_definition
        props = task_properties(task_spec)
        roles = tuple(r.strip() for r in props.get("startRoles", "").split(",") if r.strip())
        common = dict(form_key=props.get("formKey") or None, start_roles=roles, title=task_spec.bpmn_name,
                      title_en=props.get("titleEn"))
        if isinstance(definition, MessageEventDefinition):
            found.append(StartEventInfo(task_spec.bpmn_id, "message", message=definition.name, **common))
        elif isinstance(definition, TimerEventDefinition):
            cycle = definition.expression if isinstance(definition, CycleTimerEventDefinition) else None
            found.append(StartEventInfo(task_spec.bpmn_id, "timer", cycle=cycle, **common))
        elif isinstance(definition, NoneEventDefinition):
            found.append(StartEventInfo(task_spec.bpmn_id, "none", **common))
        else:
            found.append(StartEventInfo(task_spec.bpmn_id, type(definition).__name__, **common))
    return sorted(found, key=lambda s: s.event_id)


def task_properties(task_spec: Any) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec (empty when it has none)."""
    return dict(getattr(task_spec, "extensions", {}).get("properties", {}) or {})


def signature_of(props: dict[str, str]) -> str | None:
    """What the signature on a user task means, when its properties declare one (None: no signature)."""
    if props.get("signature") != SIGNATURE_REQUIRED:
        return None
    return props.get("signatureMeaning", "").strip() or DEFAULT_SIGNATURE_MEANING


def undeclared_signature(role: str | None, form_key: str | None) -> str | None:
    """What a task of a version deployed before declared signatures signs for (None: no signature)."""
    if role == UNDECLARED_SIGNING_ROLE and form_key in UNDECLARED_DECISION_FORMS:
        return DEFAULT_SIGNATURE_MEANING
    return None


def _parse_xml(source: bytes, file_name: str) -> Any:
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidProcess(f"{file_name}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                             "save the BPMN file as UTF-8") from exc
    try:
        safe_xml.fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidProcess(f"{file_name}: refused unsafe XML ({type(exc).__name__}): "
                             "DTDs, entities and external references are not allowed") from exc
    except ParseError as exc:
        raise InvalidProcess(f"{file_name}: malformed XML: {exc}") from exc
    try:
        root = etree.fromstring(source, parser=_LXML)
    except etree.XMLSyntaxError as exc:
        raise InvalidProcess(f"{file_name}: malformed XML: {exc}") from exc
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise InvalidProcess(f"{file_name}: not a BPMN 2.0 file (root element is {root.tag!r}, "
                             "expected bpmn:definitions)")
    return root


def _describe_validation(exc: ValidationException, file_name: str) -> str:
    where = ", ".join(part for part in (
        f"line {exc.line_number}" if exc.line_number else "",
        f"element {exc.tag} id={exc.id!r}" if getattr(exc, "id", "") else "",
    ) if part)
    message = str(exc).split("\n")[0]
    return f"{file_name}: {where + ': ' if where else ''}{message}"


def _check_user_tasks(spec: Any, file_name: str, roles: Collection[str],
                      form_keys: Collection[str]) -> None:
    for task_spec in spec.task_specs.values():
        if task_spec.manual and not isinstance(task_spec, UserTask):
            # A manual or plain task would wait for a person with no form and no inbox.
            raise InvalidProcess(f"{file_name}: element {task_spec.bpmn_id!r} is a manual or untyped task; "
                                 "use a user task (with a lane and a formKey) or a script task")
        if not isinstance(task_spec, UserTask):
            continue
        where = f"{file_name}: user task {task_spec.bpmn_id!r}"
        if not task_spec.lane:
            raise InvalidProcess(f"{where} is in no lane; put it in a lane named after a role")
        if task_spec.lane not in roles:
            raise InvalidProcess(f"{where} is in lane {task_spec.lane!r}, which names no known role "
                                 f"(known: {', '.join(sorted(roles))})")
        form_key = task_properties(task_spec).get("formKey")
        if not form_key:
            raise InvalidProcess(f"{where} has no formKey property")
        if form_key not in form_keys:
            raise InvalidProcess(f"{where} names form {form_key!r}, which does not exist in forms/")
        _check_properties(task_properties(task_spec), where)


def _check_service_tasks(spec: Any, file_name: str, queries: Mapping[str, Collection[str]]) -> None:
    """A service task gathers through one of the engine's queries, with its parameters, into a named variable."""
    known = ", ".join(sorted(queries)) or "none"
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, ServiceTask):
            continue
        where = f"{file_name}: service task {task_spec.bpmn_id!r}"
        name = getattr(task_spec, "operation_name", None)
        if name not in queries:
            raise InvalidProcess(f"{where} names query {name!r}, which the engine does not answer (known: {known}); "
                                 "for other work model a message catch that a job answers")
        given, wanted = set(task_spec.operation_params), set(queries[name])
        if given != wanted:
            raise InvalidProcess(f"{where}: query {name!r} takes the parameters "
                                 f"{', '.join(sorted(wanted)) or 'none'}, not {', '.join(sorted(given)) or 'none'}")
        if task_spec.result_variable.startswith("spiff__"):
            raise InvalidProcess(f"{where}: give a resultVariable, the data name that receives what it gathers")


def _check_context(specs: list[Any], file_name: str) -> None:
    """A task's ``context`` may name only start events and user tasks of the same process."""
    readable = {t.bpmn_id for spec in specs for t in spec.task_specs.values()
                if isinstance(t, (StartEvent, UserTask)) and t.bpmn_id}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            declared = task_properties(task_spec).get("context")
            if declared is None:
                continue
            ids = [i.strip() for i in declared.split(",") if i.strip()]
            unknown = [i for i in ids if i not in readable]
            if unknown or not ids:
                raise InvalidProcess(f"{file_name}: user task {task_spec.bpmn_id!r}: context names "
                                     f"{', '.join(repr(i) for i in unknown) or 'nothing'}; list the ids of start "
                                     f"events and user tasks of this process, comma-separated")


def _check_properties(props: dict[str, str], where: str) -> None:
    if props.get("dueIn"):
        try:
            TimerEventDefinition.parse_iso_duration(props["dueIn"])
        except Exception as exc:  # Spiff raises a bare Exception for a bad duration
            raise InvalidProcess(f"{where}: dueIn {props['dueIn']!r} is not an ISO 8601 duration "
                                 "such as P14D") from exc
    for flag in ("evidenceRequired", "prefill"):
        if props.get(flag) and props[flag] not in {"true", "false"}:
            raise InvalidProcess(f"{where}: {flag} must be true or false, not {props[flag]!r}")
    if props.get("priority") and props["priority"] not in {"1", "2", "3"}:
        raise InvalidProcess(f"{where}: priority must be 1, 2 or 3, not {props['priority']!r}")
    _check_signature(props, where)


def _check_signature(props: dict[str, str], where: str) -> None:
    if "signature" in props and props["signature"] != SIGNATURE_REQUIRED:
        raise InvalidProcess(f"{where}: property signature must be {SIGNATURE_REQUIRED!r} (or left out), "
                             f"not {props['signature']!r}")
    if "signatureMeaning" not in props:
        return
    if "signature" not in props:
        raise InvalidProcess(f"{where}: property signatureMeaning is given without "
                             f'signature="{SIGNATURE_REQUIRED}"; declare the signature or drop the meaning')
    meaning = props["signatureMeaning"].strip()
    if not meaning or len(meaning) > MAX_SIGNATURE_MEANING:
        raise InvalidProcess(f"{where}: property signatureMeaning must be a short phrase of 1 to "
                             f"{MAX_SIGNATURE_MEANING} characters (e.g. approval), not {props['signatureMeaning']!r}")


def _check_code(spec: Any, file_name: str) -> None:
    """Compile every script and expression of the spec in the sandbox, so a bad one fails now."""
    for task_spec in spec.task_specs.values():
        if "instanceTitle" in task_properties(task_spec) and not isinstance(task_spec, StartEvent):
            raise InvalidProcess(f"{file_name}: element {task_spec.bpmn_id!r}: instanceTitle belongs on a start "
                                 "event (it titles the instances that event starts)")
        for source, mode in _code_of(task_spec):
            try:
                compile_check(source, mode)
            except (SandboxViolation, SyntaxError) as exc:
                raise InvalidProcess(f"{file_name}: element {task_spec.bpmn_id or task_spec.name!r}: "
                                     f"{'script' if mode == 'exec' else 'expression'} {source.strip()!r} "
                                     f"is refused: {exc}") from exc


def _code_of(task_spec: Any) -> list[tuple[str, str]]:
    code = [(getattr(task_spec, name), "exec") for name in ("script", "prescript", "postscript")
            if getattr(task_spec, name, None)]
    code += [(condition.args[0], "eval") for condition, _ in getattr(task_spec, "cond_task_specs", [])
             if condition is not None]
    # Multi-instance and standard loops.
    code += [(getattr(task_spec, name), "eval") for name in ("cardinality", "condition", "completion_condition")
             if isinstance(getattr(task_spec, name, None), str)]
    code += _event_code(getattr(task_spec, "event_definition", None))
    code += [(param["value"], "eval") for param in (getattr(task_spec, "operation_params", None) or {}).values()]
    props = task_properties(task_spec)
    code += [(props[name], "eval") for name in ("candidateUser", "candidateDepartment", "departmentOfUser",
                                                 "excludeDepartment", "dueDate", "instanceTitle")
             if props.get(name)]
    return code

def _event_code(definition: Any) -> list[tuple[str, str]]:
    """Expressions of an event definition: timer, message payload, correlations (nested ones too)."""
    if definition is None:
        return []
    code = [(definition.expression, "eval")] if isinstance(getattr(definition, "expression", None), str) else []
    for prop in [*getattr(definition, "correlation_properties", []), *getattr(definition, "process_correlations", [])]:
        code.append((prop.retrieval_expression, "eval"))
    for nested in getattr(definition, "event_definitions", []):
        code += _event_code(nested)
    return code


def _check_starts(starts: list[StartEventInfo], file_name: str, roles: Collection[str],
                  form_keys: Collection[str]) -> None:
    for kind in ("none", "timer"):
        if len([s for s in starts if s.trigger == kind]) > 1:
            raise InvalidProcess(f"{file_name}: more than one {kind} start event; merge them into one")
    for start in starts:
        where = f"{file_name}: start event {start.event_id!r}"
        if start.trigger not in ("none", "message", "timer"):
            raise InvalidProcess(f"{where}: {start.trigger} start events are not supported "
                                 "(use none, message or timer)")
        if start.form_key and start.form_key not in form_keys:
            raise InvalidProcess(f"{where} names form {start.form_key!r}, which does not exist in forms/")
        unknown = [r for r in start.start_roles if r not in roles]
        if unknown:
            raise InvalidProcess(f"{where}: startRoles names unknown role(s) {', '.join(unknown)}")


def _schedule(starts: list[StartEventInfo], file_name: str) -> ScheduleSpec | None:
    """The schedule of the timer start event, if any: a quoted ISO 8601 repeating interval."""
    timer = next((s for s in starts if s.trigger == "timer"), None)
    if timer is None:
        return None
    where = f"{file_name}: timer start event {timer.event_id!r}"
    example = '"R/2027-03-01T09:00:00+08:00/P1Y"'
    try:
        text = ast.literal_eval(timer.cycle or "")
        repeat, first, period = text.split("/")
        first_run = datetime.fromisoformat(first)
        Period.parse(period)
    except Exception as exc:  # literal_eval, split, fromisoformat and Period raise different types
        raise InvalidProcess(f"{where} needs a timeCycle that is a quoted repeating interval such as "
                             f"{example}, not {timer.cycle!r} ({exc})") from exc
    if repeat != "R" or first_run.tzinfo is None:
        # A count (R3/...) is not supported: a schedule repeats until an admin switches it off.
        raise InvalidProcess(f"{where}: timeCycle {text!r} must look like {example} (R without a count, "
                             "with a UTC offset)")
    return ScheduleSpec(timer.event_id, first_run, period)
