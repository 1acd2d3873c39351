"""Commenting on an instance or one of its tasks: audited, and the people it @mentions notified.

A comment is never edited or deleted (a correction is another comment). Its readers are the
instance's (engine/read/access.py); writing one needs a reader who may change things, so the
read-only auditor reads comments but writes none. Only readers of the instance may be mentioned:
a comment mentioning anyone else, or a name nobody has, is refused, naming them.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.errors import InvalidFormData, NotFound, NotPermitted, Reason
from engine.models import Comment, HumanTask, ProcessDefinition, ProcessInstance, User
from engine.people import get_actor, get_writer
from engine.read import access, queries
from engine.read.comments import resolve
from engine.services import audit, notifications

# The form key refusals name (InvalidFormData), and where the text goes.
FORM = "comment"
FIELD = "body"
MAX_LENGTH = 4000
MAX_MENTIONS = 20


def add(session: Session, *, instance_id: int, actor: str, body: str, task_id: int | None = None) -> Comment:
    """Post a comment on the instance (on one of its tasks when ``task_id`` is given) as one of its readers.

    NotPermitted for the read-only auditor and for whoever may not read the instance; NotFound for a task
    that is not the instance's; InvalidFormData for an empty or too long text and for a mention of someone
    who may not read the instance (or of a name nobody has).
    """
    author = get_writer(session, actor)
    instance = queries.get_instance(session, instance_id)
    if not access.may_read(session, instance, author):
        raise NotPermitted(f"{actor} may not comment on instance {instance_id}: only those who may read it may")
    task = _task(session, instance_id, task_id)
    text = _text(body)
    mentions = _readers_mentioned(session, instance, text)
    comment = Comment(instance_id=instance_id, task_id=task_id, author=actor, at=clock.now(), body=text,
                      mentions=list(mentions))
    session.add(comment)
    session.flush()
    audit.record(session, action="comment", actor=actor, instance_id=instance_id, task_id=task_id,
                 data={"comment_id": comment.id, "body": text, "mentions": list(mentions)})
    if mentions:
        author_name = session.scalar(select(User.display_name).where(User.username == actor)) or actor
        notifications.mentioned(session, comment, usernames=mentions, author_name=author_name,
                                where=_where(session, instance, task))
    return comment


def _task(session: Session, instance_id: int, task_id: int | None) -> HumanTask | None:
    if task_id is None:
        return None
    task = session.get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        raise NotFound(f"no task {task_id} in instance {instance_id}")
    return task


def _text(body: str) -> str:
    """The comment's text without the blank space around it; refused when empty or too long."""
    text = (body or "").strip()
    if not text:
        raise _refusal("comment_blank", "Write something: a comment cannot be empty or only spaces.")
    if len(text) > MAX_LENGTH:
        raise _refusal("comment_too_long", f"A comment holds at most {MAX_LENGTH} characters; this one has "
                                           f"{len(text)}.", limit=MAX_LENGTH, length=len(text))
    return text


def _readers_mentioned(session: Session, instance: ProcessInstance, text: str) -> tuple[str, ...]:
    """The users the text mentions, all of whom may read the instance; refused otherwise, naming the others."""
    found = resolve(session, text)
    if found.unknown:
        names = ", ".join("@" + name for name in found.unknown)
        raise _refusal("mention_unknown", f"No active user is named {names}: mention people by their user name, "
                                          f"e.g. @li.carbon.", names=names)
    if len(found.found) > MAX_MENTIONS:
        raise _refusal("mention_too_many", f"A comment mentions at most {MAX_MENTIONS} people; this one mentions "
                                           f"{len(found.found)}.", limit=MAX_MENTIONS, count=len(found.found))
    outsiders = [u for u in found.found if not access.may_read(session, instance, get_actor(session, u))]
    if outsiders:
        names = ", ".join("@" + name for name in outsiders)
        raise _refusal("mention_not_reader", f"{names} may not read instance {instance.id}, so the comment cannot "
                                             f"mention them: nothing was posted.", names=names)
    return found.found


def _refusal(code: str, message: str, **params: object) -> InvalidFormData:
    """A refusal of the text, naming the field (the API's errors) and the reason (the pages' words)."""
    error = InvalidFormData(FORM, {FIELD: [message]})
    error.reason = Reason(code, {k: str(v) for k, v in params.items()}, message)
    return error


def _where(session: Session, instance: ProcessInstance, task: HumanTask | None) -> tuple[str, str]:
    """What the comment is on, in Chinese and English: the task, or the instance by its title or process."""
    if task is not None:
        return task.title, task.title_en or task.title
    definition = session.get(ProcessDefinition, instance.definition_id)
    label = f"{instance.title or (definition.name if definition else instance.process_id)} #{instance.id}"
    return label, label
