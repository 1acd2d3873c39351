"""Comments on an instance and its tasks: read by the instance's readers, written by those of them who may write."""
from __future__ import annotations

from typing import Any

import marshmallow as ma

from engine.read.access import readable_instance
from engine.read.comments import CommentView, comment_view, thread
from engine.read.records import iso
from engine.services import comments as commenting
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import resource
from webui.extensions import database

blueprint = resource("api_comments", "/api/v1/instances",
                     "Comments on an instance or one of its tasks, oldest first; never edited or deleted (a "
                     "correction is another comment). An @user name notifies that user.")


class CommentRequest(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=commenting.MAX_LENGTH), metadata={
        "description": f"the text (1 to {commenting.MAX_LENGTH} characters, not only spaces); @ and a user name "
                       f"(e.g. @li.carbon) notifies that user, who must be able to read the instance"})
    task_id = ma.fields.Integer(load_default=None, allow_none=True,
                                validate=ma.validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "the task of the instance the comment is on, if any"})


class Comment(ma.Schema):
    id = ma.fields.Integer()
    instance_id = ma.fields.Integer()
    task_id = ma.fields.Integer(allow_none=True)
    task_title = ma.fields.String(allow_none=True)
    task_title_en = ma.fields.String(allow_none=True)
    author = ma.fields.String(metadata={"description": "the author's user name"})
    author_name = ma.fields.String(metadata={"description": "the author's display name"})
    at = schemas.Moment()
    body = ma.fields.String()
    mentions = ma.fields.List(ma.fields.String(), metadata={"description": "the user names it mentioned"})


@blueprint.route("/<int:instance_id>/comments")
@blueprint.response(200, Comment(many=True))
@blueprint.alt_response(403, description="This user may not see the instance.")
@blueprint.alt_response(404, description="No such instance.")
def list_comments(instance_id: int) -> list[dict[str, Any]]:
    """The instance's comments, oldest first, for its readers."""
    with database().reading() as session:
        readable_instance(session, instance_id, current_actor())
        return [_record(c) for c in thread(session, instance_id)]


@blueprint.route("/<int:instance_id>/comments", methods=["POST"])
@blueprint.arguments(CommentRequest)
@blueprint.response(201, Comment)
@blueprint.alt_response(403, description="This user may not read the instance, or holds the read-only auditor role.")
@blueprint.alt_response(404, description="No such instance, or the task is not one of its tasks.")
@blueprint.alt_response(422, description="The text is empty or too long, or mentions someone who may not read "
                        "the instance (or a name no active user has), named in errors.body.")
def post_comment(body: dict[str, Any], instance_id: int) -> dict[str, Any]:
    """Comment on the instance (on one of its tasks with task_id); audited, the users it mentions notified."""
    with database().transaction() as session:
        posted = commenting.add(session, instance_id=instance_id, task_id=body["task_id"], actor=current_actor(),
                                body=body["body"])
        view = comment_view(session, posted.id)
    assert view is not None  # just written
    return _record(view)


def _record(view: CommentView) -> dict[str, Any]:
    return {"id": view.id, "instance_id": view.instance_id, "task_id": view.task_id, "task_title": view.task_title,
            "task_title_en": view.task_title_en, "author": view.author, "author_name": view.author_name,
            "at": iso(view.at), "body": view.body, "mentions": list(view.mentions)}
