"""Messages from outside: queued for the background worker, which starts or continues the processes."""
from __future__ import annotations

from typing import Any

import marshmallow as ma

from engine.read import records
from engine.services import jobs, messages
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database

blueprint = resource("api_messages", "/api/v1/messages",
                     "Send a named message: processes that start on it start, instances "
                     "waiting for it continue (in the background).")

# The same prefix as `carbonflow send-message --queue --key`: one key, one delivery, however sent.
KEY_PREFIX = "message:"


class MessageRequest(ma.Schema):
    data = ma.fields.Dict(keys=ma.fields.String(), load_default=dict, metadata={"description": "the payload"})
    key = ma.fields.String(load_default=None, validate=ma.validate.Length(min=1, max=200 - len(KEY_PREFIX)),
                           metadata={"description": "idempotency key: a second send with it is the first one"})


@blueprint.route("/<name>", methods=["POST"])
@blueprint.arguments(MessageRequest)
@blueprint.response(202, schemas.Job)
@blueprint.alt_response(403, description="The message starts a process this user may not start.")
@blueprint.alt_response(404, description="No process starts on the message and no instance waits for it.")
def send(body: dict[str, Any], name: str) -> dict[str, Any]:
    """Queue the message as a job; the sender's right to start what it starts is checked now, not later."""
    actor = current_actor()
    with database().transaction() as session:
        messages.check_sender(session, name=name, actor=actor, payload=body["data"])
        job = jobs.enqueue(session, kind="deliver_message", payload={"name": name, "data": body["data"]},
                           actor=actor, key=KEY_PREFIX + body["key"] if body["key"] else None)
        record = records.job_record(job)
    return record
