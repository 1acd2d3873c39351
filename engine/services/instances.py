"""Starting process instances and moving them between statuses."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn import runtime as rt
from engine.bpmn.retry import retry_failed
from engine.bpmn.parsing import StartEventInfo, start_events
from engine.db import Database
from engine.errors import CarbonFlowError, Conflict, InvalidFormData, NotPermitted, Reason
from engine.models import InstanceStatus, ProcessDefinition, ProcessInstance
from engine.people import ADMIN_ROLE, get_actor, get_admin, get_writer
from engine.read.definitions import latest_definition, load_workflow
from engine.read.gathered import bind_to
from engine.services import audit, form_data, messages, progress

RUNNING, SUSPENDED, ERROR = InstanceStatus.RUNNING.value, InstanceStatus.SUSPENDED.value, InstanceStatus.ERROR.value
COMPLETED, TERMINATED = InstanceStatus.COMPLETED.value, InstanceStatus.TERMINATED.value

# Every status change an actor can ask for: from which statuses, to which.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "suspend": (frozenset({RUNNING}), SUSPENDED),
    "resume": (frozenset({SUSPENDED}), RUNNING),
    "terminate": (frozenset({RUNNING, SUSPENDED, ERROR}), TERMINATED),
    "retry": (frozenset({ERROR}), RUNNING),
}


def start(session: Session, *, process_id: str, actor: str, business_key: str | None = None,
          data: dict[str, Any] | None = None, runtime: rt.Runtime | None = None) -> ProcessInstance:
    """Start the newest version of a process by hand, with validated start data."""
    runtime = runtime or rt.shared_runtime()
    user = get_writer(session, actor)
    definition = latest_definition(session, process_id)
    assert definition is not None
    event = _hand_start(definition, runtime)
    if event.start_roles and not set(event.start_roles) & set(user.role_ids):
        raise NotPermitted(f"{actor} may not start {process_id}: it needs role "
                           f"{' or '.join(event.start_roles)}")
    start_data = form_data.validate(session, definition.start_form_key, data or {})
    workflow = bind_to(runtime.new(definition, start_data, start_event=event.event_id), session)
    error = rt.advance(workflow)
    return _create(session, definition, workflow, runtime, actor=actor, business_key=business_key,
                   data=start_data, error=error)


def _hand_start(definition: ProcessDefinition, runtime: rt.Runtime) -> StartEventInfo:
    spec, _ = runtime.specs(definition.content_hash, lambda: definition.spec_json)
    starts = start_events(spec)
    event = next((s for s in starts if s.trigger == "none"), None)
    if event is None:
        how = ", ".join(f"message {s.message}" if s.message else "its schedule" for s in starts)
        raise Conflict(f"{definition.process_id} cannot be started by hand: it starts on {how}")
    return event


def start_with_workflow(session: Session, *, definition: ProcessDefinition, workflow: Any,
                        runtime: rt.Runtime, actor: str, error: str | None,
                        trigger: dict[str, Any]) -> ProcessInstance:
    """Persist an instance whose workflow the caller already started (scheduled start)."""
    return _create(session, definition, workflow, runtime, actor=actor, business_key=None,
                   data=trigger, error=error)


def _create(session: Session, definition: ProcessDefinition, workflow: Any, runtime: rt.Runtime, *,
            actor: str, business_key: str | None, data: dict[str, Any], error: str | None) -> ProcessInstance:
    instance = progress.new_instance(session, definition=definition, workflow=workflow, runtime=runtime, actor=actor,
                                     business_key=business_key, data=data)
    thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor, error=error)
    messages.deliver_thrown(session, source=instance, thrown=thrown, actor=actor, runtime=runtime)
    return instance


def suspend(session: Session, *, instance_id: int, actor: str) -> ProcessInstance:
    """Pause an instance: its tasks cannot be worked and its timers do not fire."""
    return _transition(session, instance_id, actor, "suspend")


def resume(session: Session, *, instance_id: int, actor: str) -> ProcessInstance:
    return _transition(session, instance_id, actor, "resume")


def terminate(session: Session, *, instance_id: int, actor: str, reason: str | None = None) -> ProcessInstance:
    """End an instance for good; its open tasks are cancelled."""
    instance = _transition(session, instance_id, actor, "terminate", {"reason": reason})
    instance.ended_at = clock.now()
    progress.close_open_tasks(session, instance)
    return instance


def retry(session: Session, *, instance_id: int, actor: str, data: dict[str, Any] | None = None,
          runtime: rt.Runtime | None = None) -> ProcessInstance:
    """Run an instance in error again from its failed step, optionally with corrected data."""
    runtime = runtime or rt.shared_runtime()
    instance = _transition(session, instance_id, actor, "retry", {"data": data or {}})
    instance.error_message = None
    workflow = load_workflow(session, instance, runtime)
    error = retry_failed(workflow, data)
    if error is None and rt.is_stuck(workflow):
        error = "retried, but nothing in the process can run: correct the data and retry again"
    thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor, error=error)
    messages.deliver_thrown(session, source=instance, thrown=thrown, actor=actor, runtime=runtime)
    return instance


@dataclass(frozen=True)
class Outcome:
    """What one instance of a bulk action came to: done, or refused with the reason."""

    instance_id: int
    done: bool
    reason: Reason | None = None


BULK_ACTIONS = ("suspend", "resume", "terminate")


def bulk(db: Database, *, action: str, instance_ids: Sequence[int], actor: str,
         reason: str | None = None) -> list[Outcome]:
    """Suspend, resume or terminate each chosen instance in a transaction of its own; one refused stops no other."""
    if action not in BULK_ACTIONS:
        raise InvalidFormData("bulk", {"action": [f"choose one of {', '.join(BULK_ACTIONS)}"]})
    if action == "terminate" and not (reason or "").strip():
        raise InvalidFormData("bulk", {"reason": ["give the reason for terminating"]})
    with db.reading() as session:
        get_admin(session, actor)
    outcomes = []
    for instance_id in dict.fromkeys(instance_ids):
        try:
            with db.transaction() as session:
                if action == "terminate":
                    terminate(session, instance_id=instance_id, actor=actor, reason=reason)
                else:
                    _transition(session, instance_id, actor, action)
            outcomes.append(Outcome(instance_id, True))
        except CarbonFlowError as exc:
            outcomes.append(Outcome(instance_id, False, exc.reason or Reason("refused", {"detail": str(exc)}, str(exc))))
    return outcomes


def _transition(session: Session, instance_id: int, actor: str, action: str,
                details: dict[str, Any] | None = None) -> ProcessInstance:
    user = get_actor(session, actor)  # admins only: an auditor never is one
    if ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not {action} instances (needs role {ADMIN_ROLE})")
    instance = progress.lock_instance(session, instance_id)
    allowed_from, target = TRANSITIONS[action]
    if instance.status not in allowed_from:
        raise Conflict(reason=Reason("wrong_status", {"instance": str(instance_id), "status": instance.status,
                                                      "action": action},
                                     f"instance {instance_id} is {instance.status}; cannot {action} it"))
    instance.status = target
    instance.updated_at = clock.now()
    # A suspended instance keeps next_timer_at: the sweep skips it, and fires it once resumed.
    audit.record(session, action=action, actor=actor, instance_id=instance.id, data=details or {})
    return instance
