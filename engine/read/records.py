"""JSON-ready records of processes, instances, tasks and audit events (CLI and API share them)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.models import (
    AuditEvent,
    Evidence,
    HumanTask,
    Job,
    Notification,
    ProcessDefinition,
    ProcessInstance,
    StartSchedule,
    User,
)
from engine.people import SessionDirectory
from engine.read import queries
from engine.read.audit_chain import ChainVerification
from engine.read.definitions import load_workflow
from engine.read.steps import Step
from engine.read.task_context import context_of
from forms import json_schema
from forms.describe import Names


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def process_record(definition: ProcessDefinition, *,
                   directory: SessionDirectory | None = None) -> dict[str, Any]:
    """A deployed version; with a directory, also its start form as JSON Schema (None: it starts on a message
    or a schedule, not by hand), so that a client can start it without reading our source."""
    record = {"id": definition.process_id, "version": definition.version, "name": definition.name,
              "definition_id": definition.id, "start_form_key": definition.start_form_key,
              "content_hash": definition.content_hash, "deployed_by": definition.deployed_by,
              "deployed_at": iso(definition.deployed_at)}
    if directory is not None:
        key = definition.start_form_key
        record["start_form"] = json_schema(key, directory) if key else None
    return record


def task_record(session: Session, task: HumanTask, *, with_form: bool = True,
                directory: SessionDirectory | None = None,
                instance_titles: dict[int, str | None] | None = None,
                with_context: bool = False, names: Names | None = None) -> dict[str, Any]:
    """A task; ``instance_titles`` (queries.instance_titles) saves a query per task in a list. With its context:
    the earlier steps it shows, labelled, what sent it back and its previous round's entries."""
    titles = instance_titles if instance_titles is not None else queries.instance_titles(session, [task.instance_id])
    record = {
        "id": task.id, "instance_id": task.instance_id, "instance_title": titles.get(task.instance_id),
        "name": task.name, "title": task.title,
        "title_en": task.title_en, "role": task.role, "assignee": task.assignee,
        "candidate_department": task.candidate_department, "due_at": iso(task.due_at),
        "priority": task.priority, "status": task.status, "form_key": task.form_key,
        "evidence_required": task.evidence_required, "requires_signature": task.requires_signature,
        "clauses": task.clauses.split(",") if task.clauses else [],
        "documentation": task.documentation, "created_at": iso(task.created_at),
        "completed_by": task.completed_by, "completed_at": iso(task.completed_at),
    }
    if task.submitted_data is not None:
        record["data"] = task.submitted_data
    if task.status == "completed":
        record["evidence"] = [evidence_record(e) for e in queries.evidence_of(session, task_id=task.id)]
    if with_form:
        record["form"] = json_schema(task.form_key, directory or SessionDirectory(session))
    if with_context:
        context = context_of(session, task, names=names)
        record["context"] = [step_record(s) for s in context.steps]
        record["sent_back_by"] = step_record(context.sent_back_by) if context.sent_back_by else None
        record["previous_entries"] = context.previous_entries
        record["prefill"] = task.prefill
        record["sources"] = list(context.sources)
    return record


def step_record(step: Step) -> dict[str, Any]:
    """An earlier step with its fields labelled in both languages."""
    return {"element": step.element, "title": step.title, "title_en": step.title_en, "by": step.by,
            "at": iso(step.at), "task_id": step.task_id,
            "fields": [{"name": line.name, "label": {"zh": line.label_zh, "en": line.label_en},
                        "value": {"zh": line.value_zh, "en": line.value_en}} for line in step.lines],
            "evidence": [evidence_record(e) for e in step.evidence]}


def instance_record(session: Session, instance: ProcessInstance, *, detail: bool = False,
                    runtime: rt.Runtime | None = None) -> dict[str, Any]:
    record = {
        "id": instance.id, "process_id": instance.process_id, "title": instance.title,
        "version": queries.definition_version(session, instance), "business_key": instance.business_key,
        "status": instance.status, "data": instance.data, "started_by": instance.started_by,
        "started_at": iso(instance.started_at), "ended_at": iso(instance.ended_at),
        "next_timer_at": iso(instance.next_timer_at), "error": instance.error_message,
        "row_version": instance.version,
        "open_tasks": [task_record(session, t, with_form=False, instance_titles={instance.id: instance.title})
                       for t in queries.open_tasks_of(session, instance.id)],
        "links": queries.instance_links(session, instance.id),
    }
    if detail:
        workflow = load_workflow(session, instance, runtime or rt.shared_runtime())
        record["completed_steps"] = rt.completed_steps(workflow)
        record["completed_tasks"] = [task_record(session, t, with_form=False, instance_titles={instance.id: instance.title})
                                     for t in queries.completed_tasks_of(session, instance.id)]
    return record


def evidence_record(row: Evidence) -> dict[str, Any]:
    return {"id": row.id, "task_id": row.task_id, "instance_id": row.instance_id, "file_name": row.file_name,
            "content_type": row.content_type, "size": row.size, "sha256": row.sha256,
            "uploaded_by": row.uploaded_by, "uploaded_at": iso(row.uploaded_at)}


def schedule_record(row: StartSchedule) -> dict[str, Any]:
    return {"process_id": row.process_id, "start_event": row.event_id, "period": row.period,
            "next_run_at": iso(row.next_run_at), "enabled": row.next_run_at is not None,
            "configured": row.configured, "updated_by": row.updated_by, "updated_at": iso(row.updated_at)}


def job_record(row: Job) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "status": row.status, "instance_id": row.instance_id,
            "attempts": row.attempts, "run_after": iso(row.run_after), "error": row.last_error,
            "result": row.result, "created_by": row.created_by, "created_at": iso(row.created_at),
            "finished_at": iso(row.finished_at)}


def notification_record(row: Notification) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "body": row.body, "instance_id": row.instance_id,
            "task_id": row.task_id, "created_at": iso(row.created_at), "read_at": iso(row.read_at)}


def audit_record(event: AuditEvent) -> dict[str, Any]:
    return {"id": event.id, "seq": event.seq, "at": iso(event.at), "actor": event.actor, "action": event.action,
            "instance_id": event.instance_id, "task_id": event.task_id, "data": event.data,
            "prev_hash": event.prev_hash, "hash": event.hash}


def chain_record(result: ChainVerification) -> dict[str, Any]:
    return {"ok": result.ok, "events": result.events, "head_seq": result.head_seq, "head_hash": result.head_hash,
            "checked_at": iso(result.checked_at), "first_bad_id": result.first_bad_id,
            "first_bad_seq": result.first_bad_seq, "problem": result.problem, "summary": result.summary}


def user_record(user: User) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "roles": user.role_ids,
            "department": user.department_code, "active": user.active}
