"""Running workflows: create, restore, advance, and read what the database indexes from them."""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessage
from SpiffWorkflow.util.task import TaskState

from engine import clock
from engine.bpmn.isolation import make_isolated_script_engine
from engine.bpmn.serialization import StateSerializer, json_safe
from engine.config import Settings


class _EngineClockDatetime(datetime):
    """datetime whose now() is the engine clock, so timers can be fired for a chosen moment."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        moment = clock.now()
        return moment.astimezone(tz) if tz else moment.astimezone().replace(tzinfo=None)


# SpiffWorkflow's timers read datetime.now() in this one module; point it at the engine clock.
_timer_module.datetime = _EngineClockDatetime  # type: ignore[misc]

# Every task state change logs at INFO on "spiff.task", and while that logger's own level is
# unset it also attaches the task data to each record. The audit trail is ours; keep it quiet.
logging.getLogger("spiff.task").setLevel(logging.WARNING)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaitingMessage:
    """A message an instance waits for, with the correlation it accepts (None: any)."""

    name: str
    correlation: str | None


@lru_cache(maxsize=1)
def shared_runtime() -> "Runtime":
    """The process-wide runtime, configured from the environment."""
    settings = Settings.from_env()
    return Runtime(timezone_name=settings.timezone, script_timeout=settings.script_timeout_seconds)


class Runtime:
    """Creates, restores and saves workflows with the sandboxed script engine and cached specs."""

    def __init__(self, *, timezone_name: str = "Asia/Shanghai", script_timeout: float = 1.0):
        self.serializer = StateSerializer()
        self.timezone = ZoneInfo(timezone_name)
        self.script_engine = make_isolated_script_engine(timezone=timezone_name, timeout=script_timeout)
        self._specs: dict[str, tuple[Any, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def specs(self, content_hash: str, spec_json: Callable[[], str]) -> tuple[Any, dict[str, Any]]:
        """The spec objects of a deployed version, parsed once per process and then shared.

        Keyed by content hash: ids repeat across databases (tests), content does not. ``spec_json``
        is called only on a miss, so callers need not load the stored spec every time.
        """
        with self._lock:
            cached = self._specs.get(content_hash)
            if cached is None:
                cached = self._specs[content_hash] = self.serializer.load_spec(spec_json())
            return cached

    def new(self, definition: Any, data: dict[str, Any], *, start_event: str | None = None,
            fire_timer: bool = False) -> BpmnWorkflow:
        """A fresh workflow of a deployed version, with the start data on its start event.

        ``start_event``: the message or timer start event that starts it (None: the none start
        event, by hand); the other start events are cancelled. ``fire_timer``: the chosen timer
        start event fires at once (the schedule decided it is time).
        """
        spec, subprocess_specs = self.specs(definition.content_hash, lambda: definition.spec_json)
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        if start_event is not None:
            _choose_start(workflow, start_event, fire_timer)
        start = workflow.get_tasks(state=TaskState.READY)[0]
        start.data.update(deepcopy(data))
        return workflow

    def load(self, content_hash: str, spec_json: Callable[[], str], state_json: str) -> BpmnWorkflow:
        """A saved workflow restored onto the (cached) spec of its version."""
        spec, subprocess_specs = self.specs(content_hash, spec_json)
        workflow = self.serializer.load_workflow(state_json, spec, subprocess_specs)
        workflow.script_engine = self.script_engine
        return workflow

    def dump(self, workflow: BpmnWorkflow) -> str:
        return self.serializer.dump_workflow(workflow)


def _choose_start(workflow: BpmnWorkflow, event_id: str, fire_timer: bool) -> None:
    for task in workflow.get_tasks():
        if not isinstance(task.task_spec, StartEvent) or task.workflow is not workflow:
            continue
        if task.task_spec.bpmn_id != event_id:
            task._set_state(TaskState.CANCELLED)  # before the start split runs: never reached
        elif fire_timer:
            # One cycle already due: SpiffWorkflow's own cycle logic then fires it exactly once.
            task._set_internal_data(event_value={"cycles": 1, "next": "2000-01-01T00:00:00+00:00",
                                                 "duration": 1.0})


# Engine steps one transaction may run before the instance is stopped in error: a loop of scripts and gateways
# with no person, timer or message to wait for would otherwise run until SpiffWorkflow gives up (around a
# thousand steps) and the instance ended "completed" with its data lost. The shipped processes need a few dozen.
MAX_ENGINE_STEPS = 500


class StepBudgetExceeded(Exception):
    """Raised when one advance runs more engine steps than MAX_ENGINE_STEPS."""


def advance(workflow: BpmnWorkflow) -> str | None:
    """Run engine steps until people or events are needed; return the error text if a step failed."""
    steps = 0

    def count(task: Any) -> None:
        nonlocal steps
        steps += 1
        if steps > MAX_ENGINE_STEPS:
            raise StepBudgetExceeded(
                f"more than {MAX_ENGINE_STEPS} steps ran without waiting for a person, a timer or a message "
                f"(the last at {task.task_spec.bpmn_id or task.task_spec.name!r}): a loop without a wait state?")

    try:
        workflow.do_engine_steps(will_complete_task=count)
    except Exception as exc:  # noqa: BLE001 - any model failure belongs on the instance, not in a crash
        return describe_error(exc)
    return None


def describe_error(exc: Exception) -> str:
    """One readable line for a failed script or expression: task, error type, line."""
    task = getattr(exc, "task", None)
    where = f"task {task.task_spec.bpmn_id or task.task_spec.name!r}: " if task is not None else ""
    line = getattr(exc, "line_number", 0)
    at_line = f" (line {line}: {getattr(exc, 'error_line', '')!r})" if line else ""
    kind = "" if isinstance(exc, SpiffWorkflowException) else f"{type(exc).__name__}: "
    return f"{where}{kind}{exc}{at_line}"


def ready_task_ids(workflow: BpmnWorkflow) -> set[str]:
    return {str(t.id) for t in ready_user_tasks(workflow)}


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if isinstance(t.task_spec, UserTask)]


def find_task(workflow: BpmnWorkflow, spiff_task_id: str) -> Any:
    return workflow.get_task_from_id(UUID(spiff_task_id))


def complete_user_task(workflow: BpmnWorkflow, task: Any, data: dict[str, Any]) -> str | None:
    """Merge the submitted data into the task, run it and advance; return error text if a step failed."""
    # A deep copy, so later scripts cannot reach back into what the user submitted.
    output = _output_item(task, data)
    if output is None:
        task.data.update(deepcopy(data))
    else:  # one child of a multi-instance task: its submission is its output item
        task.data[output[0]] = deepcopy(output[1])
    try:
        task.run()
    except Exception as exc:  # noqa: BLE001 - e.g. a failing postScript: recorded on the instance
        return describe_error(exc)
    return advance(workflow)


def _output_item(task: Any, data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """For a multi-instance child: its output item's name, and the submission with its input item.

    SpiffWorkflow collects outputs in the order children complete, so each one carries the item it
    was for (e.g. its ``department``).
    """
    parent_spec = task.parent.task_spec if task.parent is not None else None
    if not isinstance(parent_spec, MultiInstanceTask) or parent_spec.output_item is None:
        return None
    if parent_spec.task_spec != task.task_spec.name:
        return None  # the step after the multi-instance task: also its child in SpiffWorkflow's tree
    output = dict(data)
    if parent_spec.input_item is not None and parent_spec.input_item.exists(task):
        output[parent_spec.input_item.bpmn_id] = parent_spec.input_item.get(task)
    return str(parent_spec.output_item.bpmn_id), output


@dataclass(frozen=True)
class ThrownMessage:
    """A message a workflow threw that nothing inside it caught: for the engine to deliver."""

    name: str
    payload: Any


def take_thrown_messages(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """The messages thrown since the last call (they are removed from the workflow)."""
    return [ThrownMessage(event.event_definition.name, json_safe(event.payload))
            for event in workflow.get_events()
            if isinstance(event.event_definition, MessageEventDefinition)]


def is_stuck(workflow: BpmnWorkflow) -> bool:
    """Not finished, yet nothing is ready, waiting or running: it can never move again."""
    return not workflow.is_completed() and not workflow.get_tasks(
        state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)


def is_ready(task: Any) -> bool:
    return task is not None and task.state == TaskState.READY


def due_after(duration: str, start: datetime) -> datetime:
    """The moment an ISO 8601 duration (P14D, PT4H) after ``start``, months counted as calendar months."""
    parsed = TimerEventDefinition.parse_iso_duration(duration)
    return start + TimerEventDefinition.get_timedelta_from_start(parsed, start)


MAX_TITLE = 300  # the width of ProcessInstance.title


def instance_title(workflow: BpmnWorkflow, runtime: Runtime) -> str | None:
    """The title the start event that started the workflow declares (``instanceTitle``, an expression over
    the data the process holds); None when it declares none or the expression gives nothing."""
    started = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, StartEvent)
               and t.task_spec.bpmn_id is not None]
    expression = (getattr(started[0].task_spec, "extensions", {}).get("properties", {}) or {}).get(
        "instanceTitle") if started else None
    if not expression:
        return None
    try:
        value = runtime.script_engine.environment.evaluate(expression, current_data(workflow))
    except Exception as exc:  # noqa: BLE001 - a title that cannot be made must not stop the start
        log.warning("instanceTitle %r of %s gave no title: %s", expression, workflow.spec.name, exc)
        return None
    text = " ".join(str(value).split()) if value not in (None, "") else ""
    return text[:MAX_TITLE] or None


def current_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The process data as a person would see it now (JSON values)."""
    if workflow.is_completed():
        return json_safe(workflow.data)
    ready = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.ERROR)
    source = ready[0] if ready else workflow.last_task
    merged: dict[str, Any] = {}
    for task in [workflow.last_task, source]:
        if task is not None:
            merged.update(task.data)
    return json_safe(merged)


def completed_steps(workflow: BpmnWorkflow) -> list[dict[str, Any]]:
    """Completed BPMN elements in the order they finished."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
    done.sort(key=lambda t: t.last_state_change)
    return [{"name": t.task_spec.bpmn_id, "title": t.task_spec.bpmn_name,
             "at": datetime.fromtimestamp(t.last_state_change, timezone.utc).isoformat()} for t in done]


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[str, datetime]]:
    """Waiting timer events by task id: (element id, when it is due)."""
    timers = {}
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = definition.details(task).value
        due = _timer_due(value)
        if due is not None:
            timers[str(task.id)] = (task.task_spec.bpmn_id, due)
    return timers


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    parsed = TimerEventDefinition.parse_time_or_duration(value)
    return parsed if isinstance(parsed, datetime) else None


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    dues = [due for _, due in waiting_timers(workflow).values()]
    return min(dues) if dues else None


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    """The messages this workflow waits for, one entry per correlation key it would accept."""
    waits = []
    for task in workflow.event_manager.tasks.values():
        definition = task.task_spec.event_definition
        if not isinstance(definition, MessageEventDefinition):
            continue
        keys = {key for prop in definition.correlation_properties for key in prop.correlation_keys}
        known = {key: task.workflow.correlations[key] for key in keys if key in task.workflow.correlations}
        if not known:
            waits.append(WaitingMessage(definition.name, None))
        waits.extend(WaitingMessage(definition.name, correlation_token(key, value))
                     for key, value in known.items())
    return waits


def correlation_token(key: str, value: dict[str, Any]) -> str:
    return f"{key}={json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)}"


def message_tokens(specs: Iterable[Any], name: str, payload: dict[str, Any],
                   runtime: Runtime) -> list[str]:
    """The correlation tokens a message with this payload carries, per the specs that catch it."""
    tokens = set()
    for definition in _message_definitions(specs, name):
        for key, value in _correlations(definition, payload, runtime).items():
            tokens.add(correlation_token(key, value))
    return sorted(tokens)


def deliver_message(workflow: BpmnWorkflow, name: str, payload: dict[str, Any],
                    runtime: Runtime) -> bool:
    """Hand a message to the workflow; False when nothing in it waits for that message."""
    definitions = _message_definitions([workflow.spec, *workflow.subprocess_specs.values()], name)
    correlations: dict[str, Any] = {}
    for definition in definitions:
        correlations.update(_correlations(definition, payload, runtime))
    event = BpmnEvent(SpiffMessage(name), payload=deepcopy(payload), correlations=correlations)
    try:
        workflow.send_event(event)
    except WorkflowException:
        return False
    return True


def _message_definitions(specs: Iterable[Any], name: str) -> list[Any]:
    found = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition) and definition.name == name:
                found.append(definition)
    return found


def _correlations(definition: Any, payload: dict[str, Any], runtime: Runtime) -> dict[str, Any]:
    if not definition.correlation_properties:
        return {}
    try:
        return definition.calculate_correlations(runtime.script_engine,
                                                 definition.correlation_properties, payload)
    except Exception:  # noqa: BLE001 - one model's bad expression must not block delivery to others
        return {}  # a payload this definition cannot correlate does not correlate with it
