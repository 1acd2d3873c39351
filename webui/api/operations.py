"""Operating running processes over the API (process_admin only): instances, bulk actions, migration, incidents,
schedules."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma
from flask_smorest import abort

from engine.people import get_admin
from engine.read import instance_search
from engine.read.instance_search import InstanceFilter
from engine.read.process_versions import STATUSES
from engine.services import instances, jobs, migrations, schedules
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database, settings

blueprint = resource("api_operations", "/api/v1/admin",
                     "Operations (process_admin): instances, bulk actions, migration, incidents, schedules.")

def _id_field(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1), **kwargs)


REASON = ma.validate.Length(max=2000)


class InstanceQuery(ma.Schema):
    process = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))
    version = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    q = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200),
                         metadata={"description": "in the title or the business key"})
    started_from = ma.fields.Date(load_default=None, data_key="from")
    started_to = ma.fields.Date(load_default=None, data_key="to")
    waiting = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200),
                               metadata={"description": "the BPMN id of an open user task"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=10**6))


class InstanceRow(ma.Schema):
    id = ma.fields.Integer()
    process_id = ma.fields.String()
    version = ma.fields.Integer()
    title = ma.fields.String(allow_none=True)
    business_key = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    started_by = ma.fields.String()
    started_at = schemas.Moment()
    error_message = ma.fields.String(allow_none=True)
    waiting_at = ma.fields.List(ma.fields.String())


class InstancePage(ma.Schema):
    total = ma.fields.Integer()
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    page = ma.fields.Integer()
    pages = ma.fields.Integer()
    instances = ma.fields.List(ma.fields.Nested(InstanceRow))


class Bulk(ma.Schema):
    action = ma.fields.String(required=True, validate=ma.validate.OneOf(instances.BULK_ACTIONS))
    instance_ids = ma.fields.List(_id_field(), required=True, validate=ma.validate.Length(min=1, max=500))
    reason = ma.fields.String(load_default=None, validate=REASON, metadata={"description": "required to terminate"})


class Outcome(ma.Schema):
    instance_id = ma.fields.Integer()
    done = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String(), metadata={"description": "why it was not done"})


class Migration(ma.Schema):
    instance_ids = ma.fields.List(_id_field(), required=True, validate=ma.validate.Length(min=1, max=500))
    to_version = _id_field(required=True)
    mapping = ma.fields.Dict(keys=ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
                             values=ma.fields.String(validate=ma.validate.Length(min=1, max=200)), load_default=dict,
                             metadata={"description": "renamed elements: old BPMN id -> new BPMN id"})


class Move(ma.Schema):
    element = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "task (an open user task) or wait (a timer or message)"})
    to = ma.fields.String(allow_none=True)
    refusal = ma.fields.String(allow_none=True)


class Preview(ma.Schema):
    instance_id = ma.fields.Integer()
    title = ma.fields.String(allow_none=True)
    from_version = ma.fields.Integer()
    to_version = ma.fields.Integer()
    possible = ma.fields.Boolean()
    moves = ma.fields.List(ma.fields.Nested(Move))
    reasons = ma.fields.List(ma.fields.String())


class Incident(ma.Schema):
    type = ma.fields.String(metadata={"description": "job or instance"})
    job_id = ma.fields.Integer(allow_none=True)
    kind = ma.fields.String(allow_none=True)
    instance_id = ma.fields.Integer(allow_none=True)
    process_id = ma.fields.String(allow_none=True)
    element = ma.fields.String(allow_none=True)
    attempts = ma.fields.Integer(allow_none=True)
    error = ma.fields.String(allow_none=True)
    at = ma.fields.String(allow_none=True)


class Reason(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class Retry(ma.Schema):
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=None, allow_none=True,
                          metadata={"description": "corrected data merged into the failed step's data"})


class Schedule(ma.Schema):
    process_id = ma.fields.String()
    period = ma.fields.String()
    next_run_at = schemas.Moment()
    last_run_at = schemas.Moment()


class ScheduleChange(ma.Schema):
    next_run_at = ma.fields.AwareDateTime(load_default=None, metadata={"description": "with its UTC offset"})
    period = ma.fields.String(load_default=None, validate=ma.validate.Length(min=2, max=40))
    enabled = ma.fields.Boolean(load_default=True)


class Started(ma.Schema):
    instance_id = ma.fields.Integer()


@blueprint.route("/instances")
@blueprint.arguments(InstanceQuery, location="query")
@blueprint.response(200, InstancePage)
@blueprint.alt_response(403, description="Not a process_admin.")
def list_instances(query: dict[str, Any]) -> dict[str, Any]:
    """Instances by process, version, status, title or key, start dates and waiting task; 50 a page, newest first."""
    filters = InstanceFilter(process_id=query["process"], version=query["version"], status=query["status"],
                             text=query["q"], started_from=query["started_from"], started_to=query["started_to"],
                             waiting_at=query["waiting"])
    with database().reading() as session:
        get_admin(session, current_actor())
        found = instance_search.search(session, filters, page=query["page"], plant=ZoneInfo(settings().timezone))
    return {"total": found.total, "by_status": found.by_status, "page": found.page, "pages": found.pages,
            "instances": [{**vars(r), "started_at": r.started_at.isoformat()} for r in found.rows]}


@blueprint.route("/instances/actions", methods=["POST"])
@blueprint.arguments(Bulk)
@blueprint.response(200, Outcome(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(422, description="Unknown action, or terminate without a reason.")
def bulk(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Suspend, resume or terminate each instance in its own transaction; the refused ones name the reason."""
    outcomes = instances.bulk(database(), action=body["action"], instance_ids=body["instance_ids"],
                              actor=current_actor(), reason=body["reason"])
    return [{"instance_id": o.instance_id, "done": o.done, "reasons": [o.reason] if o.reason else []}
            for o in outcomes]


@blueprint.route("/instances/migration-preview", methods=["POST"])
@blueprint.arguments(Migration)
@blueprint.response(200, Preview(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
def preview_migration(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Where each instance's open tasks and waits would go on the version, and what refuses it; nothing stored."""
    with database().reading() as session:
        found = migrations.preview(session, instance_ids=body["instance_ids"], to_version=body["to_version"],
                                   mapping=body["mapping"], actor=current_actor())
    return [{**vars(p), "possible": p.possible, "reasons": p.reasons, "moves": [vars(m) for m in p.moves]}
            for p in found]


@blueprint.route("/instances/migrations", methods=["POST"])
@blueprint.arguments(Migration)
@blueprint.response(200, Outcome(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(409, description="No instance could move; the message names each one's reasons.")
def migrate(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Move each instance to the version in its own transaction, entirely or not at all; audited."""
    with database().reading() as session:
        get_admin(session, current_actor())
    outcomes = migrations.migrate_each(database(), instance_ids=body["instance_ids"], to_version=body["to_version"],
                                       mapping=body["mapping"], actor=current_actor())
    if not any(o.done for o in outcomes):
        abort(409, message="no instance moved: " + "; ".join(f"#{o.instance_id}: {' '.join(map(str, o.reasons))}"
                                                            for o in outcomes))
    return [{"instance_id": o.instance_id, "done": o.done, "reasons": list(o.reasons)} for o in outcomes]


@blueprint.route("/incidents")
@blueprint.response(200, Incident(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
def incidents() -> list[dict[str, Any]]:
    """Background jobs that gave up and instances in error, with the error and the element it names."""
    with database().reading() as session:
        get_admin(session, current_actor())
        found = jobs.incidents(session)
    return [{**i, "element": instance_search.element_of_error(i.get("error"))} for i in found]


@blueprint.route("/jobs/<int:job_id>/retry", methods=["POST"])
@blueprint.response(200, Outcome)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No failed job with this id.")
def retry_job(job_id: int) -> dict[str, Any]:
    """Run a failed background job again."""
    with database().transaction() as session:
        jobs.retry_failed(session, actor=current_actor(), job_id=job_id)
    return {"instance_id": None, "done": True, "reasons": []}


@blueprint.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@blueprint.arguments(Reason)
@blueprint.response(200, Outcome)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No job with this id.")
@blueprint.alt_response(409, description="The job has not failed.")
def cancel_job(body: dict[str, Any], job_id: int) -> dict[str, Any]:
    """Dismiss a failed job that should not run again, with the reason."""
    with database().transaction() as session:
        jobs.cancel(session, job_id=job_id, actor=current_actor(), reason=body["reason"])
    return {"instance_id": None, "done": True, "reasons": []}


@blueprint.route("/instances/<int:instance_id>/retry", methods=["POST"])
@blueprint.arguments(Retry)
@blueprint.response(200, Outcome)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No such instance.")
@blueprint.alt_response(409, description="The instance is not in error.")
def retry_instance(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """Run an instance in error again from its failed step, with corrected data if given."""
    with database().transaction() as session:
        instance = instances.retry(session, instance_id=instance_id, actor=current_actor(), data=body["data"])
        error = instance.error_message
    return {"instance_id": instance_id, "done": error is None, "reasons": [error] if error else []}


@blueprint.route("/schedules")
@blueprint.response(200, Schedule(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
def schedule_list() -> list[dict[str, Any]]:
    """The processes that start on a schedule: period, next start, last start by the schedule."""
    with database().reading() as session:
        get_admin(session, current_actor())
        rows, last = schedules.schedules(session), schedules.last_runs(session)
    return [{"process_id": r.process_id, "period": r.period, "next_run_at": _moment(r.next_run_at),
             "last_run_at": _moment(last.get(r.process_id))} for r in rows]


@blueprint.route("/schedules/<process_id>", methods=["PATCH"])
@blueprint.arguments(ScheduleChange)
@blueprint.response(200, Schedule)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="The process has no schedule.")
@blueprint.alt_response(422, description="A bad period or time.")
def change_schedule(body: dict[str, Any], process_id: str) -> dict[str, Any]:
    """Move the next start, change the period, or switch the schedule off (enabled false)."""
    with database().transaction() as session:
        row = schedules.configure(session, process_id=process_id, actor=current_actor(),
                                  next_run_at=body["next_run_at"], period=body["period"], enabled=body["enabled"])
        answer = {"process_id": row.process_id, "period": row.period, "next_run_at": _moment(row.next_run_at),
                  "last_run_at": None}
    return answer


@blueprint.route("/schedules/<process_id>/start", methods=["POST"])
@blueprint.response(201, Started)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="The process has no schedule.")
def start_now(process_id: str) -> dict[str, Any]:
    """Start the scheduled process now; the next scheduled start stays as it was."""
    with database().transaction() as session:
        return {"instance_id": schedules.start_now(session, process_id=process_id, actor=current_actor())}


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

