"""Process instances: one instance's record with its history and evidence, and its audit trail."""
from __future__ import annotations

from typing import Any

import marshmallow as ma

from engine.read import queries, records
from engine.read.access import readable_instance
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database

blueprint = resource("api_instances", "/api/v1/instances",
                     "Process instances, for those who took part, may work on one of their "
                     "open tasks, or oversee the system.")


class AuditQuery(ma.Schema):
    limit = ma.fields.Integer(load_default=1000, validate=ma.validate.Range(min=1, max=1000))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))


@blueprint.route("/<int:instance_id>")
@blueprint.response(200, schemas.InstanceDetail)
@blueprint.alt_response(403, description="This user may not see the instance.")
@blueprint.alt_response(404, description="No such instance.")
def show(instance_id: int) -> dict[str, Any]:
    """The instance: status, data, open and completed tasks, completed steps, links, evidence files."""
    with database().reading() as session:
        instance, files = readable_instance(session, instance_id, current_actor())
        record = records.instance_record(session, instance, detail=True)
        record["evidence"] = [records.evidence_record(f) for f in files]
    return record


@blueprint.route("/<int:instance_id>/audit")
@blueprint.arguments(AuditQuery, location="query")
@blueprint.response(200, schemas.AuditEvent(many=True))
@blueprint.alt_response(403, description="This user may not see the instance.")
@blueprint.alt_response(404, description="No such instance.")
def audit(page: dict[str, int], instance_id: int) -> list[dict[str, Any]]:
    """The instance's audit trail, oldest first: who did what, when, with what data."""
    with database().reading() as session:
        readable_instance(session, instance_id, current_actor())
        return [records.audit_record(e) for e in queries.audit_events(session, instance_id=instance_id, **page)]
