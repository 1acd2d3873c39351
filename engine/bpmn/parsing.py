"""Parse and check a BPMN file before anything is stored: safe XML, lanes, forms, scripts; every refusal at once."""
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
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.bpmn import lint
from engine.bpmn.scripting import SandboxViolation, compile_check
from engine.errors import InvalidProcess, Refusals
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
    """Parse one BPMN file holding one executable process; raise InvalidProcess naming everything wrong.

    ``queries``: the read-only queries a service task may gather through, each with its parameter names."""
    return parse_tree(parse_xml(source, file_name), file_name, roles=roles, form_keys=form_keys, queries=queries)


def parse_tree(root: Any, file_name: str, *, roles: Collection[str], form_keys: Collection[str],
               queries: Mapping[str, Collection[str]]) -> ParsedProcess:
    """Parse and check the tree ``parse_xml`` read; one InvalidProcess carries every refusal found."""
    refusals = Refusals(file_name)
    for problem in lint.refusals(root):  # read before SpiffWorkflow's parser takes the tree
        refusals.add(problem.code, problem.element, problem.message, **problem.params)
    process_id, spec, subprocess_specs = _spiff_specs(root, refusals)
    specs = [spec, *subprocess_specs.values()]
    for each in specs:
        _check_user_tasks(each, refusals, roles, form_keys)
        _check_service_tasks(each, refusals, queries)
        _check_code(each, refusals)
    _check_context(specs, refusals)
    starts = start_events(spec)
    _check_starts(starts, refusals, roles, form_keys)
    schedule = _schedule(starts, refusals)
    refusals.raise_any()
    start_form_key = next((s.form_key for s in starts if s.trigger == "none"), None)
    messages = sorted({s.message for s in starts if s.message})
    return ParsedProcess(process_id, spec.description or process_id, spec, subprocess_specs,
                         start_form_key, messages, schedule)


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


def parse_xml(source: bytes, file_name: str) -> Any:
    """The bpmn:definitions element of a file that is safe UTF-8 XML; InvalidProcess (one problem) if not."""
    refusals = Refusals(file_name)
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refusals.fatal("not_utf8", None, f"not UTF-8 text ({exc.reason} at byte {exc.start}); "
                             "save the BPMN file as UTF-8", reason=exc.reason, byte=exc.start) from exc
    try:
        safe_xml.fromstring(source, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise refusals.fatal("unsafe_xml", None, f"refused unsafe XML ({type(exc).__name__}): DTDs, entities and "
                             "external references are not allowed", kind=type(exc).__name__) from exc
    except ParseError as exc:
        raise refusals.fatal("malformed_xml", None, f"malformed XML: {exc}", detail=exc) from exc
    try:
        root = etree.fromstring(source, parser=_LXML)
    except etree.XMLSyntaxError as exc:
        raise refusals.fatal("malformed_xml", None, f"malformed XML: {exc}", detail=exc) from exc
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise refusals.fatal("not_bpmn", None, f"not a BPMN 2.0 file (root element is {root.tag!r}, "
                             "expected bpmn:definitions)", root=root.tag)
    return root


def _spiff_specs(root: Any, refusals: Refusals) -> tuple[str, Any, dict[str, Any]]:
    """The one executable process's id, spec and subprocess specs, as SpiffWorkflow reads them."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(root, refusals.file_name)
        process_ids = parser.get_process_ids()
        if len(process_ids) != 1:
            ids = ", ".join(process_ids)
            raise refusals.fatal("process_count", None, f"expected one executable process, found "
                                 f"{len(process_ids)} ({ids or 'none'})", count=len(process_ids), ids=ids)
        return process_ids[0], parser.get_spec(process_ids[0]), parser.get_subprocess_specs(process_ids[0])
    except ValidationException as exc:
        raise _validation_problem(exc, refusals) from exc
    except (SpiffWorkflowException, ValueError) as exc:
        raise refusals.fatal("bpmn_invalid", getattr(exc, "id", None) or None, str(exc), detail=exc) from exc


def _validation_problem(exc: ValidationException, refusals: Refusals) -> InvalidProcess:
    element = getattr(exc, "id", "") or None
    where = ", ".join(part for part in (f"line {exc.line_number}" if exc.line_number else "",
                                        f"element {exc.tag} id={exc.id!r}" if element else "") if part)
    message = str(exc).split("\n")[0]
    return refusals.fatal("bpmn_invalid", element, f"{where + ': ' if where else ''}{message}",
                          line=exc.line_number or "", tag=exc.tag or "", detail=message)


def _check_user_tasks(spec: Any, refusals: Refusals, roles: Collection[str], form_keys: Collection[str]) -> None:
    for task_spec in spec.task_specs.values():
        task_id = task_spec.bpmn_id
        if task_spec.manual and not isinstance(task_spec, UserTask):
            # A manual or plain task would wait for a person with no form and no inbox.
            refusals.add("manual_task", task_id, f"element {task_id!r} is a manual or untyped task; "
                         "use a user task (with a lane and a formKey) or a script task")
        if not isinstance(task_spec, UserTask):
            continue
        where = f"user task {task_id!r}"
        if not task_spec.lane:
            refusals.add("no_lane", task_id, f"{where} is in no lane; put it in a lane named after a role")
        elif task_spec.lane not in roles:
            known = ", ".join(sorted(roles))
            refusals.add("unknown_role", task_id, f"{where} is in lane {task_spec.lane!r}, which names no "
                         f"known role (known: {known})", lane=task_spec.lane, known=known)
        form_key = task_properties(task_spec).get("formKey")
        if not form_key:
            refusals.add("no_form_key", task_id, f"{where} has no formKey property")
        elif form_key not in form_keys:
            refusals.add("unknown_form", task_id, f"{where} names form {form_key!r}, which does not exist "
                         "in forms/", form=form_key)
        _check_properties(task_properties(task_spec), task_id, refusals)


def _check_service_tasks(spec: Any, refusals: Refusals, queries: Mapping[str, Collection[str]]) -> None:
    """A service task gathers through one of the engine's queries, with its parameters, into a named variable."""
    known = ", ".join(sorted(queries)) or "none"
    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, ServiceTask):
            continue
        task_id = task_spec.bpmn_id
        where = f"service task {task_id!r}"
        name = getattr(task_spec, "operation_name", None)
        if name not in queries:
            refusals.add("unknown_query", task_id, f"{where} names query {name!r}, which the engine does not "
                         f"answer (known: {known}); for other work model a message catch that a job answers",
                         query=name or "", known=known)
        else:
            given = ", ".join(sorted(set(task_spec.operation_params))) or "none"
            wanted = ", ".join(sorted(set(queries[name]))) or "none"
            if given != wanted:
                refusals.add("query_parameters", task_id, f"{where}: query {name!r} takes the parameters "
                             f"{wanted}, not {given}", query=name, expected=wanted, given=given)
        if task_spec.result_variable.startswith("spiff__"):
            refusals.add("no_result_variable", task_id,
                         f"{where}: give a resultVariable, the data name that receives what it gathers")


def _check_context(specs: list[Any], refusals: Refusals) -> None:
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
                refusals.add("bad_context", task_spec.bpmn_id, f"user task {task_spec.bpmn_id!r}: context names "
                             f"{', '.join(repr(i) for i in unknown) or 'nothing'}; list the ids of start "
                             f"events and user tasks of this process, comma-separated", unknown=", ".join(unknown))


def _check_properties(props: dict[str, str], task_id: str, refusals: Refusals) -> None:
    where = f"user task {task_id!r}"
    if props.get("dueIn"):
        try:
            TimerEventDefinition.parse_iso_duration(props["dueIn"])
        except Exception:  # Spiff raises a bare Exception for a bad duration
            refusals.add("bad_due_in", task_id, f"{where}: dueIn {props['dueIn']!r} is not an ISO 8601 duration "
                         "such as P14D", value=props["dueIn"])
    for flag in [f for f in ("evidenceRequired", "prefill") if props.get(f) and props[f] not in {"true", "false"}]:
        refusals.add("bad_flag", task_id, f"{where}: {flag} must be true or false, not {props[flag]!r}",
                     property=flag, value=props[flag])
    if props.get("priority") and props["priority"] not in {"1", "2", "3"}:
        refusals.add("bad_priority", task_id, f"{where}: priority must be 1, 2 or 3, not {props['priority']!r}",
                     value=props["priority"])
    _check_signature(props, task_id, refusals)


def _check_signature(props: dict[str, str], task_id: str, refusals: Refusals) -> None:
    where = f"user task {task_id!r}"
    if "signature" in props and props["signature"] != SIGNATURE_REQUIRED:
        refusals.add("bad_signature", task_id, f"{where}: property signature must be {SIGNATURE_REQUIRED!r} "
                     f"(or left out), not {props['signature']!r}", value=props["signature"])
    if "signatureMeaning" not in props:
        return
    if "signature" not in props:
        refusals.add("meaning_without_signature", task_id, f"{where}: property signatureMeaning is given "
                     f'without signature="{SIGNATURE_REQUIRED}"; declare the signature or drop the meaning')
        return
    meaning = props["signatureMeaning"].strip()
    if not meaning or len(meaning) > MAX_SIGNATURE_MEANING:
        refusals.add("bad_signature_meaning", task_id, f"{where}: property signatureMeaning must be a short "
                     f"phrase of 1 to {MAX_SIGNATURE_MEANING} characters (e.g. approval), not "
                     f"{props['signatureMeaning']!r}", value=props["signatureMeaning"], max=MAX_SIGNATURE_MEANING)


def _check_code(spec: Any, refusals: Refusals) -> None:
    """Compile every script and expression of the spec in the sandbox, so a bad one fails now."""
    for task_spec in spec.task_specs.values():
        element = task_spec.bpmn_id or task_spec.name
        if "instanceTitle" in task_properties(task_spec) and not isinstance(task_spec, StartEvent):
            refusals.add("title_not_on_start", element, f"element {element!r}: instanceTitle belongs on a "
                         "start event (it titles the instances that event starts)")
        for source, mode in _code_of(task_spec):
            kind = "script" if mode == "exec" else "expression"
            try:
                compile_check(source, mode)
            except (SandboxViolation, SyntaxError) as exc:
                refusals.add("code_refused", element, f"element {element!r}: {kind} {source.strip()!r} "
                             f"is refused: {exc}", kind=kind, source=source.strip(), reason=exc)


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


def _check_starts(starts: list[StartEventInfo], refusals: Refusals, roles: Collection[str],
                  form_keys: Collection[str]) -> None:
    for kind in ("none", "timer"):
        ids = [s.event_id for s in starts if s.trigger == kind]
        if len(ids) > 1:
            refusals.add("two_starts", ids[1], f"more than one {kind} start event; merge them into one",
                         trigger=kind, ids=", ".join(ids))
    for start in starts:
        where = f"start event {start.event_id!r}"
        if start.trigger not in ("none", "message", "timer"):
            refusals.add("unsupported_start", start.event_id, f"{where}: {start.trigger} start events are not "
                         "supported (use none, message or timer)", trigger=start.trigger)
        if start.form_key and start.form_key not in form_keys:
            refusals.add("unknown_start_form", start.event_id, f"{where} names form {start.form_key!r}, which "
                         "does not exist in forms/", form=start.form_key)
        unknown = [r for r in start.start_roles if r not in roles]
        if unknown:
            refusals.add("unknown_start_roles", start.event_id, f"{where}: startRoles names unknown role(s) "
                         f"{', '.join(unknown)}", roles=", ".join(unknown))


def _schedule(starts: list[StartEventInfo], refusals: Refusals) -> ScheduleSpec | None:
    """The schedule of the timer start event, if any: a quoted ISO 8601 repeating interval."""
    timer = next((s for s in starts if s.trigger == "timer"), None)
    if timer is None:
        return None
    where = f"timer start event {timer.event_id!r}"
    example = '"R/2027-03-01T09:00:00+08:00/P1Y"'
    try:
        text = ast.literal_eval(timer.cycle or "")
        repeat, first, period = text.split("/")
        first_run = datetime.fromisoformat(first)
        Period.parse(period)
    except Exception as exc:  # literal_eval, split, fromisoformat and Period raise different types
        refusals.add("bad_time_cycle", timer.event_id, f"{where} needs a timeCycle that is a quoted repeating "
                     f"interval such as {example}, not {timer.cycle!r} ({exc})",
                     cycle=timer.cycle or "", example=example, reason=exc)
        return None
    if repeat != "R" or first_run.tzinfo is None:
        # A count (R3/...) is not supported: a schedule repeats until an admin switches it off.
        refusals.add("unsupported_time_cycle", timer.event_id, f"{where}: timeCycle {text!r} must look like "
                     f"{example} (R without a count, with a UTC offset)", cycle=text, example=example)
        return None
    return ScheduleSpec(timer.event_id, first_run, period)
