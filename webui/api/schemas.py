"""The shapes of the API's answers: engine/read/records.py's records, described for the OpenAPI document.

The views return those records; these schemas only choose and document their fields.
"""
from __future__ import annotations

from functools import partial

import marshmallow as ma
from marshmallow import fields

# Records carry times as ISO 8601 strings already.
Moment = partial(fields.String, allow_none=True, metadata={"format": "date-time"})
AnyObject = partial(fields.Dict, keys=fields.String())


class Process(ma.Schema):
    id = fields.String(metadata={"description": "the process id (its BPMN file's stem)"})
    version = fields.Integer()
    name = fields.String(allow_none=True)
    definition_id = fields.Integer()
    start_form_key = fields.String(allow_none=True)
    start_form = AnyObject(allow_none=True, metadata={
        "description": "the start form as JSON Schema (draft 2020-12), as a task carries its form; null when "
                       "the process starts on a message or a schedule, not by hand"})
    content_hash = fields.String()
    deployed_by = fields.String()
    deployed_at = Moment()


class Evidence(ma.Schema):
    id = fields.Integer()
    task_id = fields.Integer()
    instance_id = fields.Integer()
    file_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = Moment()


class Task(ma.Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    instance_title = fields.String(allow_none=True, metadata={"description": "the title of the task's instance"})
    business_key = fields.String(allow_none=True)
    name = fields.String(metadata={"description": "the BPMN task id"})
    title = fields.String()
    title_en = fields.String(allow_none=True)
    role = fields.String()
    assignee = fields.String(allow_none=True)
    candidate_department = fields.String(allow_none=True)
    due_at = Moment()
    priority = fields.Integer()
    status = fields.String(metadata={"description": "ready, completed or cancelled"})
    form_key = fields.String()
    evidence_required = fields.Boolean()
    requires_signature = fields.Boolean(metadata={
        "description": "the task's BPMN declares a signature (top management's decisions): complete it with "
                       "the user's password (signed)"})
    clauses = fields.List(fields.String())
    documentation = fields.String(allow_none=True)
    created_at = Moment()
    completed_by = fields.String(allow_none=True)
    completed_at = Moment()
    data = AnyObject(metadata={"description": "what was submitted (completed tasks)"})
    evidence = fields.List(fields.Nested(Evidence), metadata={"description": "files attached (completed tasks)"})


class Labelled(ma.Schema):
    zh = fields.String()
    en = fields.String()


class ContextField(ma.Schema):
    name = fields.String()
    label = fields.Nested(Labelled)
    value = fields.Nested(Labelled, metadata={"description": "choices by their labels, users and departments "
                                                             "by name"})


class Link(ma.Schema):
    direction = fields.String(metadata={"description": "out: this instance led to it; in: it led to this one"})
    kind = fields.String()
    instance_id = fields.Integer()
    process_id = fields.String()
    status = fields.String()
    business_key = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    created_at = Moment()
    created_by = fields.String()


class ContextStep(ma.Schema):
    element = fields.String(metadata={"description": "the BPMN id of the start event or user task"})
    title = fields.String()
    title_en = fields.String(allow_none=True)
    by = fields.String(allow_none=True)
    at = Moment()
    task_id = fields.Integer(allow_none=True)
    fields_ = fields.List(fields.Nested(ContextField), data_key="fields")
    evidence = fields.List(fields.Nested(Evidence))


class TaskWithForm(Task):
    form = AnyObject(metadata={"description": "the form as JSON Schema (draft 2020-12)"})
    context = fields.List(fields.Nested(ContextStep), metadata={
        "description": "the earlier steps the task shows above its form (its BPMN's context, or every earlier "
                       "step), each with its fields labelled in both languages"})
    sent_back_by = fields.Nested(ContextStep, allow_none=True, metadata={
        "description": "for a task reached again through a loop: the step whose decision sent it back"})
    previous_entries = AnyObject(allow_none=True, metadata={
        "description": "for a task reached again: what its previous round submitted (the page prefills it)"})
    prefill = AnyObject(allow_none=True, metadata={
        "description": "for a task declaring prefill: what its instance held under its fields as it opened (e.g. "
                       "inputs drafted from gathered records); the page starts from it"})
    sources = fields.List(fields.Nested(Link), metadata={
        "description": "the records of other instances this instance gathered (kind input:<query>)"})


class Step(ma.Schema):
    name = fields.String()
    title = fields.String(allow_none=True)
    at = Moment()


class Instance(ma.Schema):
    id = fields.Integer()
    process_id = fields.String()
    title = fields.String(allow_none=True, metadata={
        "description": "what the instance is about, by its start event's instanceTitle (e.g. the nonconformity's "
                       "title); null when the process declares none"})
    version = fields.Integer()
    business_key = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "running, suspended, completed, terminated or error"})
    data = AnyObject()
    started_by = fields.String()
    started_at = Moment()
    ended_at = Moment()
    next_timer_at = Moment()
    error = fields.String(allow_none=True)
    row_version = fields.Integer()
    open_tasks = fields.List(fields.Nested(Task))
    links = fields.List(fields.Nested(Link))


class InstanceDetail(Instance):
    completed_steps = fields.List(fields.Nested(Step))
    completed_tasks = fields.List(fields.Nested(Task))
    evidence = fields.List(fields.Nested(Evidence))


class AuditEvent(ma.Schema):
    id = fields.Integer()
    at = Moment()
    actor = fields.String()
    action = fields.String()
    instance_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    data = fields.Raw(allow_none=True)


class Job(ma.Schema):
    id = fields.Integer(metadata={"description": "the job id"})
    kind = fields.String()
    status = fields.String(metadata={"description": "pending, done, failed or cancelled"})
    instance_id = fields.Integer(allow_none=True)
    attempts = fields.Integer()
    run_after = Moment()
    error = fields.String(allow_none=True)
    result = fields.Raw(allow_none=True)
    created_by = fields.String()
    created_at = Moment()
    finished_at = Moment()
