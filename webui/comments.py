"""Comments on the task and instance pages: the thread (oldest first), the box to add one, refusals inline.

The thread is one per instance: a task page shows its instance's comments, each with the step it was
written on, since a step sent back comes again as a new task. A refused comment shows the page again
(422) with the text kept and the reason under the box; a posted one returns to the page at the comment.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from engine.errors import CarbonFlowError, InvalidFormData, NotFound, NotPermitted
from engine.people import READ_ONLY_ROLE, get_actor
from engine.read import access, comments, queries
from engine.read.comments import CommentView
from engine.services import comments as commenting
from webui.errors import abort_for
from webui.extensions import database

blueprint = Blueprint("comments", __name__)

# The engine's refusals of a comment (engine/services/comments.py), in the reader's language.
REASONS = {
    "comment_blank": lazy_gettext("Write something first: a comment cannot be empty or only spaces."),
    "comment_too_long": lazy_gettext("A comment holds at most %(limit)s characters; this one has %(length)s."),
    "mention_unknown": lazy_gettext("No active user is named %(names)s. Mention people by their user name, "
                                    "e.g. @li.carbon."),
    "mention_too_many": lazy_gettext("A comment mentions at most %(limit)s people; this one mentions %(count)s."),
    "mention_not_reader": lazy_gettext("%(names)s cannot read this record, so the comment cannot mention them. "
                                       "Nothing was posted: take them out of the text, or ask the carbon "
                                       "management body to involve them."),
}


@dataclass(frozen=True)
class Thread:
    """What the comments section shows: the comments, and the box (or why there is none)."""

    comments: list[CommentView]
    here_task_id: int | None  # the task page's task: other steps' comments are labelled with their step
    action: str  # where the box posts
    may_write: bool  # the read-only auditor reads comments but writes none
    draft: str = ""  # what a refused comment said, kept in the box
    error: str | None = None
    mentionable: list[tuple[str, str]] = field(default_factory=list)


@blueprint.app_template_global()
def comment_thread(instance_id: int, task_id: int | None = None) -> Thread:
    """The instance's comments for the page showing it, to its readers (the page has checked that already)."""
    draft, error = g.get("comment_form", ("", None))
    with database().reading() as session:
        instance = queries.get_instance(session, instance_id)
        if not access.may_read(session, instance, get_actor(session, current_user.username)):
            return Thread([], task_id, "", False)
        may_write = READ_ONLY_ROLE not in current_user.role_ids
        return Thread(comments.thread(session, instance_id), task_id, _action(instance_id, task_id), may_write,
                      draft, error, comments.mentionable(session, instance) if may_write else [])


@blueprint.route("/tasks/<int:task_id>/comments", methods=["POST"])
def on_task(task_id: int) -> Any:
    with database().reading() as session:
        try:
            instance_id = access.readable_task(session, task_id, current_user.username).instance_id
        except (NotFound, NotPermitted) as exc:
            abort_for(exc)
    return _post(instance_id, task_id, lambda: current_app.view_functions["tasks.show"](task_id=task_id))


@blueprint.route("/instances/<int:instance_id>/comments", methods=["POST"])
def on_instance(instance_id: int) -> Any:
    return _post(instance_id, None, lambda: current_app.view_functions["instances.show"](instance_id=instance_id))


def _post(instance_id: int, task_id: int | None, page: Callable[[], Any]) -> Any:
    """Post the comment and return to the page at it; a refused one shows the page again with the reason."""
    body = request.form.get("body", "")
    try:
        with database().transaction() as session:
            comment_id = commenting.add(session, instance_id=instance_id, task_id=task_id,
                                        actor=current_user.username, body=body).id
    except InvalidFormData as exc:
        g.comment_form = (body, _reason(exc))
        response = make_response(page())
        response.status_code = 422
        return response
    except CarbonFlowError as exc:
        abort_for(exc)
    flash(_("Comment posted."), "success")
    back = url_for("tasks.show", task_id=task_id) if task_id else url_for("instances.show", instance_id=instance_id)
    return redirect(f"{back}#comment-{comment_id}")


def _action(instance_id: int, task_id: int | None) -> str:
    target = url_for("comments.on_task", task_id=task_id) if task_id else \
        url_for("comments.on_instance", instance_id=instance_id)
    return f"{target}#comments"


def _reason(exc: InvalidFormData) -> str:
    """The refusal in the page's language (the engine's English sentence if it has no words here)."""
    reason = exc.reason
    template = REASONS.get(reason.code) if reason is not None else None
    if template is None:
        return " ".join(str(m) for m in exc.errors.get(commenting.FIELD, [])) or str(exc)
    try:
        return str(template) % dict(reason.params)  # type: ignore[union-attr]
    except (KeyError, TypeError, ValueError):
        return str(reason)
