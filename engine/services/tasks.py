"""Human task use cases: claim, unclaim, delegate, complete."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.bpmn import runtime as rt
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted, Reason, WrongPassword
from engine.models import (
    Evidence,
    HumanTask,
    InstanceStatus,
    ProcessDefinition,
    ProcessInstance,
    TaskStatus,
)
from engine.people import (
    ADMIN_ROLE,
    Actor,
    eligible_ignoring_assignee,
    excluded,
    get_writer,
    may_work_on,
)
from engine.read.definitions import load_workflow
from engine.services import audit, credentials, evidence, jobs, messages, notifications, progress
from engine.services.form_data import validate


def claim(session: Session, *, task_id: int, actor: str) -> HumanTask:
    """Take a task offered to one's role, so that it is in one's own inbox."""
    user = get_writer(session, actor)
    task = _locked_open_task(session, task_id)
    if task.assignee == actor:
        raise Conflict(f"task {task_id} is already claimed by you")
    if task.assignee is not None and eligible_ignoring_assignee(task, user):
        raise Conflict(f"task {task_id} is already claimed by {task.assignee}")
    _require_permission(task, user, "claim")
    task.assignee = actor
    audit.record(session, action="claim", actor=actor, instance_id=task.instance_id, task_id=task.id)
    return _flushed(session, task)


def unclaim(session: Session, *, task_id: int, actor: str) -> HumanTask:
    """Give a claimed task back to its role."""
    user = get_writer(session, actor)
    task = _locked_open_task(session, task_id)
    if task.assignee is None:
        raise Conflict(f"task {task_id} is not claimed")
    if task.assignee != actor and ADMIN_ROLE not in user.role_ids:
        raise NotPermitted(f"{actor} may not unclaim task {task_id}: it is claimed by {task.assignee}")
    if task.candidate_user is not None and task.assignee == task.candidate_user:
        raise Conflict(f"task {task_id} belongs to {task.candidate_user} by the process; delegate it instead")
    previous, task.assignee = task.assignee, None
    audit.record(session, action="unclaim", actor=actor, instance_id=task.instance_id, task_id=task.id,
                 data={"previous_assignee": previous})
    return _flushed(session, task)


def delegate(session: Session, *, task_id: int, actor: str, to_user: str, reason: str | None = None) -> HumanTask:
    """Hand a task to another user, who becomes its assignee.

    Anyone who may work on it hands it to someone it is offered to; a process_admin may also hand it to
    someone outside the lane's role, with a reason, audited as such. Handing a task over never carries the
    authority to sign it: only a holder of its lane's role signs a decision (``_complete``).
    """
    user = get_writer(session, actor)
    target = get_writer(session, to_user)
    task = _locked_open_task(session, task_id)
    admin = ADMIN_ROLE in user.role_ids
    if not (may_work_on(task, user) or admin):
        raise NotPermitted(f"{actor} may not delegate task {task_id}")
    if excluded(task, target):
        raise NotPermitted(f"{to_user} may not do task {task_id}: {_why_excluded(task, target)}")
    outside = not eligible_ignoring_assignee(task, target)
    if outside and not admin:
        needs = (f"it belongs to {task.candidate_user} by the process" if task.candidate_user else
                 f"it needs role {task.role}"
                 + (f" in department {task.candidate_department}" if task.candidate_department else ""))
        raise NotPermitted(f"{to_user} may not take task {task_id}: {needs} (a process_admin may "
                           "delegate outside it, with a reason)")
    if outside and not (reason or "").strip():
        raise InvalidFormData("delegate", {"reason": [
            f"{to_user} is outside the task's role {task.role}: give the reason for handing it to them"]})
    previous, task.assignee = task.assignee, target.username
    data: dict[str, Any] = {"from": previous, "to": target.username}
    if outside:
        data.update(outside_role=True, role=task.role)
    if reason and reason.strip():
        data["reason"] = reason.strip()[:2000]
    audit.record(session, action="delegate", actor=actor, instance_id=task.instance_id, task_id=task.id, data=data)
    return _flushed(session, task)


def complete(session: Session, *, task_id: int, actor: str, data: Any,
             evidence_files: Sequence[evidence.Upload] = (), runtime: rt.Runtime | None = None) -> HumanTask:
    """Submit a task's form, with any evidence files: validated, snapshotted, and the process moves on.

    A task whose BPMN declares a signature (``task.requires_signature``) is refused here: ``complete_signed``
    does it.
    """
    return _complete(session, task_id=task_id, actor=actor, data=data, evidence_files=evidence_files,
                     runtime=runtime, signed=False)


def _complete(session: Session, *, task_id: int, actor: str, data: Any, evidence_files: Sequence[evidence.Upload],
              runtime: rt.Runtime | None, signed: bool) -> HumanTask:
    runtime = runtime or rt.shared_runtime()
    user = get_writer(session, actor)
    # Lock order everywhere: instance, then task. The second of two racing completions waits here
    # and then finds the task completed.
    instance, task, content_hash = _lock_for_completion(session, task_id)
    if task.assignee is not None and task.assignee != actor and eligible_ignoring_assignee(task, user):
        raise Conflict(f"task {task_id} is claimed by {task.assignee}")
    _require_permission(task, user, "complete")
    # Checked after the permission, so that someone who may not do the task at all is told so first.
    if task.requires_signature and task.role not in user.role_ids:
        raise NotPermitted(f"task {task_id} ({task.name}) is a decision signed by a holder of role {task.role}; "
                           f"{actor} does not hold it, and a task handed over does not carry the authority to sign")
    if not signed and task.requires_signature:
        raise NotPermitted(f"task {task_id} ({task.name}) is a decision that must be signed: "
                           "a signature (the password, entered again) is needed to complete it")
    submitted = validate(session, task.form_key, data)
    # Files kept with a draft (or from a refused submit) join the ones sent now.
    files = [*evidence.take_drafted(session, task), *evidence_files]
    evidence.check(files, task.form_key, required=task.evidence_required)
    workflow = load_workflow(session, instance, runtime, content_hash)
    before = progress.Snapshot.of(workflow, closing=task.spiff_task_id)
    spiff_task = rt.find_task(workflow, task.spiff_task_id)
    if not rt.is_ready(spiff_task):
        raise Conflict(f"task {task_id} is no longer ready in its process")
    error = rt.complete_user_task(workflow, spiff_task, submitted)
    task.status = TaskStatus.COMPLETED.value
    task.assignee = task.assignee or actor
    task.completed_by, task.completed_at, task.submitted_data = actor, clock.now(), submitted
    audit.record(session, action="complete", actor=actor, instance_id=instance.id, task_id=task.id,
                 data={"task": task.name, "form_key": task.form_key, "data": submitted})
    evidence.attach(session, task=task, uploads=files, actor=actor)
    decision = notifications.decision_in(submitted)
    if decision is not None:
        jobs.enqueue(session, kind="notify_decision", payload={"task_id": task.id, "decision": decision},
                     actor=actor, instance_id=instance.id)
    thrown = progress.save(session, instance=instance, workflow=workflow, runtime=runtime, actor=actor,
                           error=error, before=before)
    messages.deliver_thrown(session, source=instance, thrown=thrown, actor=actor, runtime=runtime)
    return _flushed(session, task)



MAX_DRAFT_BYTES = 256 * 1024


def complete_signed(session: Session, *, task_id: int, actor: str, data: Any, password: str,
                    evidence_files: Sequence[evidence.Upload] = (), runtime: rt.Runtime | None = None,
                    address: str | None = None) -> HumanTask:
    """Complete a decision with an electronic signature: the password again, and what the signature means.

    A wrong password is counted with wrong sign-in passwords (``address`` is the client's, when known) and
    recorded on the instance's trail.
    """
    target = session.get(HumanTask, task_id)
    attempt = credentials.Attempt(actor, "signature", address, target.instance_id if target else None,
                                  task_id if target else None)
    try:
        credentials.check(session, attempt, password)
    except WrongPassword as exc:
        message = f"{actor}: the password does not match, so the decision is not signed"
        raise WrongPassword(message, reason=Reason("wrong_password", {}, message)) from exc
    task = _complete(session, task_id=task_id, actor=actor, data=data, evidence_files=evidence_files,
                     runtime=runtime, signed=True)
    meaning = notifications.decision_in(task.submitted_data or {}) or "completed"
    audit.record(session, action="signature", actor=actor, instance_id=task.instance_id, task_id=task.id, data={
        "meaning": "rejected" if meaning == "returned" else meaning, "task": task.name, "title": task.title,
        "statement": f"{actor} signed “{task.title}”: {'rejected' if meaning == 'returned' else meaning}",
        "signs_for": task.signature, "record_sha256": signed_record_hash(session, task)})
    return task


def signed_record_hash(session: Session, task: HumanTask) -> str:
    """SHA-256 of what a signature signs (21 CFR 11.70): the decision's task, its entries and its evidence files."""
    files = sorted(session.scalars(select(Evidence.sha256).where(Evidence.task_id == task.id)))
    record = {"instance_id": task.instance_id, "task_id": task.id, "task": task.name, "form_key": task.form_key,
              "data": task.submitted_data, "evidence_sha256": files}
    return hashlib.sha256(json.dumps(record, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()




def save_draft(session: Session, *, task_id: int, actor: str, data: Any,
               evidence_files: Sequence[evidence.Upload] = (), remove_files: Sequence[str] = ()) -> HumanTask:
    """Keep what the person typed so far, unchecked, to finish later, with the files they chose (stored, attached
    when the task completes) less the kept files they remove; only they (or their role) may."""
    user = get_writer(session, actor)
    task = _locked_open_task(session, task_id)
    _require_permission(task, user, "save a draft of")
    if not isinstance(data, dict):
        raise InvalidFormData(task.form_key, {"_schema": ["A draft must be a JSON object."]})
    if len(json.dumps(data, default=str)) > MAX_DRAFT_BYTES:
        raise InvalidFormData(task.form_key, {"_schema": [f"A draft is limited to {MAX_DRAFT_BYTES} bytes."]})
    values = {key: value for key, value in data.items() if key != evidence.DRAFT_FILES}
    changes = audit.changes(evidence.draft_values(task.draft), values)
    dropped = evidence.drop(task, remove_files)
    added = evidence.keep(session, task=task, uploads=evidence_files, actor=actor)
    task.draft = evidence.with_draft_files(values, evidence.draft_files(task))
    task.draft_saved_at = clock.now()
    event: dict[str, Any] = {"data": values, "changes": changes}
    if added or dropped:
        event.update(files_added=evidence.described(added), files_removed=evidence.described(dropped))
    audit.record(session, action="draft_saved", actor=actor, instance_id=task.instance_id, task_id=task.id,
                 data=event)
    return _flushed(session, task)


def keep_draft_files(session: Session, *, task_id: int, actor: str,
                     evidence_files: Sequence[evidence.Upload]) -> HumanTask:
    """Keep files chosen for a submit that was refused with the task's draft, so they need not be chosen again."""
    user = get_writer(session, actor)
    task = _locked_open_task(session, task_id)
    _require_permission(task, user, "keep files for")
    added = evidence.keep(session, task=task, uploads=evidence_files, actor=actor)
    if added:
        audit.record(session, action="draft_files_kept", actor=actor, instance_id=task.instance_id, task_id=task.id,
                     data={"files_added": evidence.described(added)})
    return _flushed(session, task)


def _lock_for_completion(session: Session, task_id: int) -> tuple[ProcessInstance, HumanTask, str]:
    """The task, its instance (both locked until commit) and its version's content hash, in one query."""
    row = session.execute(
        select(ProcessInstance, HumanTask, ProcessDefinition.content_hash)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(HumanTask.id == task_id)
        .with_for_update(of=[ProcessInstance, HumanTask])).one_or_none()
    if row is None:
        raise NotFound(f"no task {task_id}")
    instance, task, content_hash = row
    _check_open(task, instance)
    return instance, task, content_hash


def _locked_open_task(session: Session, task_id: int) -> HumanTask:
    task = session.scalar(select(HumanTask).where(HumanTask.id == task_id).with_for_update())
    if task is None:
        raise NotFound(f"no task {task_id}")
    instance = session.get(ProcessInstance, task.instance_id)
    assert instance is not None  # foreign key
    _check_open(task, instance)
    return task


def _check_open(task: HumanTask, instance: ProcessInstance) -> None:
    if task.status != TaskStatus.READY.value:
        raise Conflict(f"task {task.id} is already {task.status}")
    if instance.status != InstanceStatus.RUNNING.value:
        raise Conflict(f"task {task.id} cannot be worked: its instance is {instance.status}")


def _require_permission(task: HumanTask, user: Actor, verb: str) -> None:
    if excluded(task, user):
        raise NotPermitted(f"{user.username} may not {verb} task {task.id} ({task.name}): {_why_excluded(task, user)}")
    if not may_work_on(task, user):
        who = task.assignee or f"role {task.role}" + (
            f" in department {task.candidate_department}" if task.candidate_department else "")
        raise NotPermitted(f"{user.username} may not {verb} task {task.id} ({task.name}): "
                           f"it is offered to {who}")


def _why_excluded(task: HumanTask, user: Actor) -> str:
    if user.username in (task.excluded_users or []):
        return "they completed an earlier step this one must be independent of (segregation of duties)"
    return (f"members of department {task.excluded_department} may not do it, "
            "it concerns their own department (segregation of duties)")


def _flushed(session: Session, task: HumanTask) -> HumanTask:
    """Write now, so a version clash surfaces as Conflict inside the use case (engine/db.py)."""
    session.flush()
    return task
