"""Processes: the deployed ones (newest version of each), and starting an instance of one."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import url_for

from engine.people import SessionDirectory
from engine.read import records
from engine.read.definitions import latest_definitions
from engine.services import instances
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database

blueprint = resource("api_processes", "/api/v1/processes",
                     "Deployed processes, and starting an instance of one.")


class StartRequest(ma.Schema):
    business_key = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict,
                          metadata={"description": "the start form's data (the process's start_form, a JSON Schema)"})


@blueprint.route("")
@blueprint.response(200, schemas.Process(many=True))
def list_processes() -> list[dict[str, Any]]:
    """The newest version of every deployed process, by id, with its start form as JSON Schema."""
    with database().reading() as session:
        directory = SessionDirectory(session)
        return [records.process_record(d, directory=directory) for d in latest_definitions(session)]


@blueprint.route("/<process_id>/instances", methods=["POST"])
@blueprint.arguments(StartRequest)
@blueprint.response(201, schemas.Instance)
@blueprint.alt_response(403, description="The process needs a start role this user lacks.")
@blueprint.alt_response(404, description="No process is deployed with this id.")
@blueprint.alt_response(409, description="The process starts on a message or schedule, not by hand.")
def start(body: dict[str, Any], process_id: str) -> Any:
    """Start the newest version of the process with validated start data (422 names every bad field)."""
    with database().transaction() as session:
        instance = instances.start(session, process_id=process_id, actor=current_actor(),
                                   business_key=body["business_key"], data=body["data"])
        record = records.instance_record(session, instance)
    return record, {"Location": url_for("api_instances.show", instance_id=record["id"])}
