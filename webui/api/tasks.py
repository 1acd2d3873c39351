"""Human tasks: the caller's inbox, one task with its form, and claim, unclaim and complete."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import marshmallow as ma
from flask import request
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidFormData
from engine.models import HumanTask
from engine.people import get_actor, may_work_on
from engine.read import queries, records
from engine.read.access import readable_task
from engine.services import evidence, tasks
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database, settings

blueprint = resource("api_tasks", "/api/v1/tasks",
                     "Human tasks: the inbox, a task's form, claim, unclaim and complete.")


class InboxQuery(ma.Schema):
    scope = ma.fields.String(load_default="all", validate=ma.validate.OneOf(["mine", "candidate", "all"]),
                             metadata={"description": "mine: assigned to me; candidate: offered to my roles"})
    overdue = ma.fields.Boolean(load_default=False)
    due = ma.fields.String(load_default=None, validate=ma.validate.OneOf(list(queries.DUE_WITHIN_DAYS)),
                           metadata={"description": "today: due by the end of today (plant's calendar), overdue "
                                                    "included; week: by the end of the seventh day"})
    process = ma.fields.String(load_default=None, metadata={"description": "only this process id"})
    priority = ma.fields.Integer(load_default=None, validate=ma.validate.OneOf([1, 2, 3]))
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=200),
                         metadata={"description": "search the title or the business key"})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=10_000), metadata={
        "description": "skip this many (costs a read of each skipped task: page with `after` instead)"})
    after = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^-?\d{1,20}\.\d{1,10}$"), metadata={
        "description": "the tasks after this cursor: the `next` cursor of the Link header of the previous page"})


class Base64(ma.fields.String):
    """Bytes sent as base64 text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bytes:
        try:
            return base64.b64decode(super()._deserialize(value, attr, data, **kwargs), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ma.ValidationError("Not valid base64.") from exc


class EvidenceFile(ma.Schema):
    file_name = ma.fields.String(required=True)
    content_type = ma.fields.String(load_default="application/octet-stream")
    content = Base64(required=True, metadata={"format": "byte", "description": "the file, base64-encoded"})

    @ma.post_load
    def upload(self, data: dict[str, Any], **_: Any) -> evidence.Upload:
        return evidence.Upload(data["file_name"], data["content"], data["content_type"])


class CompleteRequest(ma.Schema):
    data = ma.fields.Dict(keys=ma.fields.String(), required=True,
                          metadata={"description": "the form's data, as its JSON Schema describes"})
    evidence = ma.fields.List(ma.fields.Nested(EvidenceFile), load_default=list,
                              metadata={"description": "evidence files (required where the task says so)"})
    password = ma.fields.String(load_default=None, load_only=True, validate=ma.validate.Length(min=1), metadata={
        "description": "the caller's password, which signs a task whose BPMN requires a signature (required "
                       "where the task says requires_signature; ignored otherwise); the signature and its meaning "
                       "are audited"})


@blueprint.route("")
@blueprint.arguments(InboxQuery, location="query")
@blueprint.response(200, schemas.Task(many=True))
def inbox(query: dict[str, Any]) -> Any:
    """Open tasks the caller may act on, by due time; without their forms (GET one task for its form).

    A full page carries a `Link` header whose `rel="next"` address (with its `after` cursor) reads the next one."""
    with database().reading() as session:
        user = get_actor(session, current_actor())
        now = clock.now()
        due_by = queries.due_horizon(query["due"], now, settings().timezone) if query["due"] else None
        rows = queries.tasks_for_user(session, user, scope=query["scope"], overdue=query["overdue"],
                                      process_id=query["process"], priority=query["priority"], search=query["q"],
                                      due_by=due_by, now=now, limit=query["limit"], offset=query["offset"],
                                      after=queries.Cursor.parse(query["after"]))
        ids = [t.instance_id for t in rows]
        keys, titles = queries.business_keys(session, ids), queries.instance_titles(session, ids)
        found = [{**records.task_record(session, t, with_form=False, instance_titles=titles),
                  "business_key": keys.get(t.instance_id)} for t in rows]
    if len(rows) < query["limit"]:
        return found
    following = {**request.args.to_dict(), "after": queries.Cursor.of(rows[-1]).token()}
    following.pop("offset", None)
    return found, 200, {"Link": f'<{request.base_url}?{urlencode(following)}>; rel="next"'}


@blueprint.route("/<int:task_id>")
@blueprint.response(200, schemas.TaskWithForm)
@blueprint.alt_response(403, description="This user may not see the task's instance.")
@blueprint.alt_response(404, description="No such task.")
def show(task_id: int) -> dict[str, Any]:
    """The task with its form as JSON Schema, for the readers of its instance (see engine/read/access.py)."""
    with database().reading() as session:
        return records.task_record(session, readable_task(session, task_id, current_actor()), with_context=True)


@blueprint.route("/<int:task_id>/claim", methods=["POST"])
@blueprint.response(200, schemas.Task)
@blueprint.alt_response(403, description="The task is not offered to this user.")
@blueprint.alt_response(404, description="No such task.")
@blueprint.alt_response(409, description="Already claimed, completed, or its instance is not running.")
def claim(task_id: int) -> dict[str, Any]:
    """Take a task offered to one of the caller's roles."""
    return _act(tasks.claim, task_id)


@blueprint.route("/<int:task_id>/unclaim", methods=["POST"])
@blueprint.response(200, schemas.Task)
@blueprint.alt_response(403, description="Claimed by someone else (only a process_admin may take it back).")
@blueprint.alt_response(404, description="No such task.")
@blueprint.alt_response(409, description="Not claimed, completed, or assigned by the process itself.")
def unclaim(task_id: int) -> dict[str, Any]:
    """Give a claimed task back to its role."""
    return _act(tasks.unclaim, task_id)


@blueprint.route("/<int:task_id>/complete", methods=["POST"])
@blueprint.arguments(CompleteRequest)
@blueprint.response(200, schemas.Task)
@blueprint.alt_response(403, description="The task is not this user's to do, or the signing password is wrong.")
@blueprint.alt_response(429, description="Too many wrong passwords for this user lately (signing and signing in "
                        "count together); the Retry-After header says in how many seconds to try again.")
@blueprint.alt_response(404, description="No such task.")
@blueprint.alt_response(409, description="Already completed, claimed by another, or its instance is not running.")
def complete(body: dict[str, Any], task_id: int) -> dict[str, Any]:
    """Submit the task's form (422 names every bad field, and ``password`` for a decision to sign)."""
    with database().transaction() as session:
        task = _complete(session, task_id, body)
        record = records.task_record(session, task, with_form=False)
    return record


def _complete(session: Session, task_id: int, body: dict[str, Any]) -> HumanTask:
    """Complete the task; one whose BPMN requires a signature is signed with the password in the body."""
    actor = current_actor()
    arguments: dict[str, Any] = {"task_id": task_id, "actor": actor, "data": body["data"],
                                 "evidence_files": body["evidence"]}
    task = readable_task(session, task_id, actor)
    if not (task.requires_signature and may_work_on(task, get_actor(session, actor))):
        return tasks.complete(session, **arguments)  # which refuses whoever may not do it, saying why
    if body["password"] is None:
        raise InvalidFormData(task.form_key, {"password": [
            "This decision is signed: send your password again in the field password."]})
    return tasks.complete_signed(session, password=body["password"], address=request.remote_addr, **arguments)


def _act(verb: Callable[..., HumanTask], task_id: int, **arguments: Any) -> dict[str, Any]:
    with database().transaction() as session:
        task = verb(session, task_id=task_id, actor=current_actor(), **arguments)
        record = records.task_record(session, task, with_form=False)
    return record
