"""The caller's notifications: newest first (the unread ones alone if asked), marking one or all read."""
from __future__ import annotations

from typing import Any

import marshmallow as ma

from engine.read import notifications as notices
from engine.read.notifications import NotificationView
from engine.read.records import iso
from engine.services import notifications
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database
from webui.notification_text import describe

blueprint = resource("api_notifications", "/api/v1/notifications",
                     "The caller's notifications (new tasks, reminders, escalations, decisions, mentions), and "
                     "marking them read.")


class NotificationQuery(ma.Schema):
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "only the unread ones"})
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**31 - 1))


class Notification(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "new_task, escalation, reminder, overdue, decision or mention"})
    title = ma.fields.String(metadata={"description": "as stored for mail: in Chinese and English"})
    body = ma.fields.String(metadata={"description": "as stored for mail (a mention: the comment)"})
    text = ma.fields.String(metadata={"description": "what happened, in the language of the page session (Chinese "
                                                     "by default), as the notifications page says it"})
    instance_id = ma.fields.Integer(allow_none=True)
    task_id = ma.fields.Integer(allow_none=True)
    comment_id = ma.fields.Integer(allow_none=True, metadata={"description": "the comment that mentioned the caller"})
    link = ma.fields.String(allow_none=True, metadata={
        "description": "the page it is about: its task or instance, at the comment for a mention"})
    created_at = schemas.Moment()
    read_at = schemas.Moment()


class NotificationList(ma.Schema):
    notifications = ma.fields.List(ma.fields.Nested(Notification))
    total = ma.fields.Integer(metadata={"description": "how many there are in the list asked for"})
    unread = ma.fields.Integer(metadata={"description": "how many of the caller's are unread"})


class Marked(ma.Schema):
    marked = ma.fields.Integer(metadata={"description": "how many were unread and now are read"})
    unread = ma.fields.Integer(metadata={"description": "how many of the caller's are still unread"})


@blueprint.route("")
@blueprint.arguments(NotificationQuery, location="query")
@blueprint.response(200, NotificationList)
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """The caller's notifications, newest first."""
    actor = current_actor()
    with database().reading() as session:
        rows = notices.listed(session, actor, unread_only=query["unread"], limit=query["limit"],
                              offset=query["offset"])
        total, unread = notices.counts(session, actor, unread_only=query["unread"])
    return {"notifications": [_record(n) for n in rows], "total": total, "unread": unread}


@blueprint.route("/<int:notification_id>/read", methods=["POST"])
@blueprint.response(200, Notification)
@blueprint.alt_response(404, description="The caller has no such notification.")
def mark_read(notification_id: int) -> dict[str, Any]:
    """Mark one of the caller's notifications read (one read already stays as it was)."""
    actor = current_actor()
    with database().transaction() as session:
        notifications.read_one(session, notification_id=notification_id, actor=actor)
        return _record(notices.own(session, actor, notification_id))


@blueprint.route("/read-all", methods=["POST"])
@blueprint.response(200, Marked)
def mark_all_read() -> dict[str, Any]:
    """Mark every unread notification of the caller's read."""
    actor = current_actor()
    with database().transaction() as session:
        marked = notifications.read_all(session, actor=actor)
        return {"marked": marked, "unread": notices.unread_count(session, actor)}


def _record(view: NotificationView) -> dict[str, Any]:
    said = describe(view)
    return {"id": view.id, "kind": view.kind, "title": view.title, "body": view.body, "text": said.headline,
            "instance_id": view.instance_id, "task_id": view.task_id, "comment_id": view.comment_id,
            "link": said.link, "created_at": iso(view.created_at), "read_at": iso(view.read_at)}
