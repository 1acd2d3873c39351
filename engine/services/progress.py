"""An instance's rows: create and lock them, and after its workflow moved, save its state and
refresh what the database indexes from it.

``save`` hands the messages a workflow threw back to the use case that moved it, which delivers
them through ``messages``: this module imports no use case, so no import comes back to it.
"""
from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine import clock
import forms
from engine.bpmn import runtime as rt
from engine.bpmn.serialization import json_safe
from engine.bpmn.gathering import gatherer_of
from engine.bpmn.parsing import signature_of, task_properties, undeclared_signature
from engine.errors import CarbonFlowError, NotFound
from engine.models import (
    HumanTask,
    InstanceLink,
    InstanceStatus,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
    User,
)
from engine.models import task_counts
from engine.models.tasks import NO_DUE_DATE, TaskExclusion
from engine.read.gathered import LINK_PREFIX, Gatherer
from engine.services import audit, jobs


@dataclass(frozen=True)
class Snapshot:
    """The ready user tasks and message waits of a workflow as it was loaded."""

    ready: set[str]
    waits: list[rt.WaitingMessage]

    @classmethod
    def of(cls, workflow: Any, *, closing: str | None = None) -> Snapshot:
        """Snapshot a loaded workflow; ``closing`` is a task the caller is completing itself."""
        return cls(rt.ready_task_ids(workflow) - {closing}, rt.waiting_messages(workflow))


def new_instance(session: Session, *, definition: ProcessDefinition, workflow: Any, runtime: rt.Runtime,
                 actor: str, business_key: str | None, data: dict[str, Any]) -> ProcessInstance:
    """A running instance of this version, with its "start" audit event; ``save`` then stores its workflow."""
    now = clock.now()
    instance = ProcessInstance(
        definition_id=definition.id, process_id=definition.process_id, business_key=business_key,
        title=rt.instance_title(workflow, runtime), status=InstanceStatus.RUNNING.value, state_json="{}", data={},
        started_by=actor, started_at=now, updated_at=now)
    session.add(instance)
    session.flush()
    audit.record(session, action="start", actor=actor, instance_id=instance.id, data={
        "process_id": definition.process_id, "version": definition.version,
        "business_key": business_key, "title": instance.title, "data": data})
    return instance


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """The instance row, locked until commit (SELECT ... FOR UPDATE; SQLite writers are serialised)."""
    instance = session.scalar(select(ProcessInstance).where(ProcessInstance.id == instance_id)
                              .with_for_update().execution_options(populate_existing=True))
    if instance is None:
        raise NotFound(f"no process instance {instance_id}")
    return instance


def save(session: Session, *, instance: ProcessInstance, workflow: Any, runtime: rt.Runtime,
         actor: str, error: str | None = None, before: Snapshot | None = None) -> list[rt.ThrownMessage]:
    """Store the workflow and re-index its human tasks, timers and message waits, in this transaction.

    ``before``: what the workflow looked like when loaded, if the caller took a snapshot; the
    rows that did not change are then left alone, which saves a query or two per step.
    Gives back the messages the workflow threw, for the caller to deliver next (``messages.deliver_thrown``).
    """
    if error is None:
        error = _sync_human_tasks(session, instance, workflow, runtime,
                                  before.ready if before is not None else None)
    thrown = rt.take_thrown_messages(workflow)
    _link_gathered(session, instance, workflow, actor)
    instance.state_json = runtime.dump(workflow)
    instance.data = rt.current_data(workflow)
    instance.updated_at = clock.now()
    if error is not None:
        _mark_error(session, instance, actor, error)
    elif workflow.is_completed():
        instance.status = InstanceStatus.COMPLETED.value
        instance.ended_at = clock.now()
        audit.record(session, action="instance_completed", actor=actor, instance_id=instance.id)
    running = instance.status == InstanceStatus.RUNNING.value
    instance.next_timer_at = rt.next_timer_at(workflow) if running else None
    waits = rt.waiting_messages(workflow) if running else []
    if before is None or set(before.waits) != set(waits):
        _replace_subscriptions(session, instance, waits)
    return thrown


def _link_gathered(session: Session, instance: ProcessInstance, workflow: Any, actor: str) -> None:
    """Link the records the workflow's service tasks read to this instance, with the gathering's audit event."""
    gatherer = gatherer_of(workflow)
    if not isinstance(gatherer, Gatherer):
        return
    for name, params, sources in gatherer.taken():
        kind, read = LINK_PREFIX + name, sorted(set(sources) - {instance.id})
        linked = set(session.scalars(select(InstanceLink.source_instance_id).where(
            InstanceLink.target_instance_id == instance.id, InstanceLink.kind == kind)))
        session.add_all(InstanceLink(source_instance_id=source, target_instance_id=instance.id, kind=kind,
                                     created_by=actor, created_at=clock.now()) for source in read if source not in linked)
        audit.record(session, action="inputs_gathered", actor=actor, instance_id=instance.id,
                     data={"query": name, "params": json_safe(params), "instances": read})


def close_open_tasks(session: Session, instance: ProcessInstance) -> None:
    """Cancel the instance's open human tasks and forget its message waits (on terminate)."""
    for task in _open_tasks(session, instance.id):
        task.status = TaskStatus.CANCELLED.value
    _replace_subscriptions(session, instance, [])
    instance.next_timer_at = None


def _parse_due(value: Any, tz: ZoneInfo) -> datetime | None:
    """A due time from process data: a date means the end of that day in the plant's timezone."""
    if value in (None, ""):
        return None
    text = str(value)
    if len(text) == 10:
        next_day = datetime.combine(date.fromisoformat(text) + timedelta(days=1), datetime.min.time(), tz)
        return next_day - timedelta(seconds=1)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _mark_error(session: Session, instance: ProcessInstance, actor: str, error: str) -> None:
    instance.status = InstanceStatus.ERROR.value
    instance.error_message = error
    audit.record(session, action="error", actor=actor, instance_id=instance.id, data={"error": error})


def _open_tasks(session: Session, instance_id: int) -> list[HumanTask]:
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == TaskStatus.READY.value)))


def _sync_human_tasks(session: Session, instance: ProcessInstance, workflow: Any,
                      runtime: rt.Runtime, ready_before: set[str] | None) -> str | None:
    ready = {str(t.id): t for t in rt.ready_user_tasks(workflow)}
    if ready_before is None:
        known = set()
        for row in _open_tasks(session, instance.id):
            known.add(row.spiff_task_id)
            if row.spiff_task_id not in ready:  # e.g. cancelled by an interrupting boundary event
                row.status = TaskStatus.CANCELLED.value
    else:
        # Every task ready before this step has its row: no need to read them back.
        known = ready_before
        gone = ready_before - set(ready)
        if gone:
            closed = session.execute(update(HumanTask).where(
                HumanTask.spiff_task_id.in_(gone), HumanTask.status == TaskStatus.READY.value)
                .values(status=TaskStatus.CANCELLED.value).returning(HumanTask.process_id, HumanTask.role))
            for process_id, role in closed:
                task_counts.note(session, process_id, role, -1)
    opened = []
    for spiff_id, task in ready.items():
        if spiff_id in known:
            continue
        try:
            opened.append(_new_human_task(session, instance, task, runtime))
        except Exception as exc:  # noqa: BLE001 - a bad expression in the model errors the instance
            return f"task {task.task_spec.bpmn_id!r}: {rt.describe_error(exc)}"
    if opened:
        session.add_all(opened)
        session.flush()
        # Telling the task's people is background work: it must not slow down the step.
        for row in opened:
            jobs.enqueue(session, kind="notify_task", payload={"task_id": row.id}, actor=jobs.SYSTEM,
                         instance_id=instance.id)
    return None


def _new_human_task(session: Session, instance: ProcessInstance, task: Any,
                    runtime: rt.Runtime) -> HumanTask:
    props = task_properties(task.task_spec)

    def evaluate(name: str) -> str | None:
        value = runtime.script_engine.evaluate(task, props[name]) if props.get(name) else None
        if value in (None, ""):
            return None
        if name != "dueDate" and not isinstance(value, str):
            # e.g. a whole row where its department was meant: never guess, or an exclusion would not match.
            raise CarbonFlowError(f"{name} {props[name]!r} gave {type(value).__name__} {value!r}, not a name")
        return str(value)

    candidate_user = evaluate("candidateUser")
    if candidate_user is not None and session.scalar(
            select(User.id).where(User.username == candidate_user)) is None:
        raise CarbonFlowError(f"candidateUser {candidate_user!r} is not a user")
    now = clock.now()
    due_at = _due(props, evaluate, now, runtime.timezone)
    excluded = _completers(session, instance.id, props.get("notCompletedBy"))
    task_row = HumanTask(
        instance_id=instance.id, process_id=instance.process_id, spiff_task_id=str(task.id),
        name=task.task_spec.bpmn_id, title=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
        title_en=props.get("titleEn"), role=task.task_spec.lane, candidate_user=candidate_user,
        candidate_department=evaluate("candidateDepartment") or _department_of(session, evaluate("departmentOfUser")),
        excluded_users=excluded, excluded_department=evaluate("excludeDepartment"),
        assignee=candidate_user, form_key=props["formKey"], clauses=props.get("clauses"),
        documentation=task.task_spec.documentation, due_at=due_at, sort_due_at=due_at or NO_DUE_DATE,
        priority=int(props.get("priority", 2)), evidence_required=props.get("evidenceRequired") == "true",
        signature=signature_of(props) or _undeclared_signature(session, instance, task.task_spec.lane, props),
        prefill=_prefill(props, task.data), status=TaskStatus.READY.value, created_at=now)
    if excluded:  # most tasks have none: leave the relationship untouched then
        task_row.exclusions = [TaskExclusion(username=u) for u in excluded]
    return task_row


# What an open task's row takes from its spec: read again when its instance moves to another version.
_FROM_SPEC = ("name", "title", "title_en", "role", "candidate_user", "candidate_department", "excluded_users",
              "excluded_department", "form_key", "clauses", "documentation", "due_at", "sort_due_at", "priority",
              "evidence_required", "signature", "prefill")


def reread_task(session: Session, instance: ProcessInstance, row: HumanTask, task: Any, runtime: rt.Runtime) -> None:
    """Read an open task's row again from its (new) spec: the same row and draft; due as if opened on it."""
    with clock.frozen_at(row.created_at):
        fresh = _new_human_task(session, instance, task, runtime)
    before = {column: getattr(row, column) for column in _FROM_SPEC}
    after = {column: getattr(fresh, column) for column in _FROM_SPEC}
    for column, value in after.items():
        setattr(row, column, value)
    if row.assignee and (before["role"] != after["role"] or after["candidate_user"] not in (None, row.assignee)):
        row.assignee = after["candidate_user"]  # the claim belonged to the old lane or candidate
    session.execute(delete(TaskExclusion).where(TaskExclusion.task_id == row.id))
    session.add_all(TaskExclusion(task_id=row.id, username=u) for u in after["excluded_users"])


def _prefill(props: dict[str, str], data: dict[str, Any]) -> dict[str, Any] | None:
    """For a task declaring prefill="true": the instance's data under its form's field names, as it opens."""
    if props.get("prefill") != "true":
        return None
    names = forms.json_schema(props["formKey"])["properties"]
    return json_safe({name: deepcopy(data[name]) for name in names if name in data})


def _undeclared_signature(session: Session, instance: ProcessInstance, role: str | None,
                          props: dict[str, str]) -> str | None:
    """The signature a task of a version deployed before declared signatures needs, by the rule of its time."""
    meaning = undeclared_signature(role, props.get("formKey"))
    if meaning is None:  # most tasks: no need to look at the version
        return None
    declares = session.scalar(select(ProcessDefinition.declares_signatures)
                              .where(ProcessDefinition.id == instance.definition_id))
    return None if declares else meaning


def _department_of(session: Session, username: str | None) -> str | None:
    """The department of the user a ``departmentOfUser`` expression names (e.g. the owner's head)."""
    if username is None:
        return None
    department = session.scalar(select(User.department_code).where(User.username == username))
    if department is None:
        raise CarbonFlowError(f"departmentOfUser {username!r} is not a user with a department")
    return department


def _completers(session: Session, instance_id: int, task_names: str | None) -> list[str]:
    """Who completed the named tasks of this instance (segregation of duties)."""
    if not task_names:
        return []
    names = [n.strip() for n in task_names.split(",") if n.strip()]
    return sorted(set(session.scalars(select(HumanTask.completed_by).where(
        HumanTask.instance_id == instance_id, HumanTask.name.in_(names),
        HumanTask.completed_by.is_not(None)))))


def _due(props: dict[str, str], evaluate: Any, now: datetime, tz: ZoneInfo) -> datetime | None:
    if props.get("dueIn"):
        return rt.due_after(props["dueIn"], now)
    if props.get("dueDate"):
        return _parse_due(evaluate("dueDate"), tz)
    return None


def _replace_subscriptions(session: Session, instance: ProcessInstance,
                           waits: list[rt.WaitingMessage]) -> None:
    session.execute(delete(MessageSubscription).where(MessageSubscription.instance_id == instance.id))
    session.add_all(MessageSubscription(instance_id=instance.id, message_name=w.name, correlation=w.correlation)
                    for w in set(waits))
