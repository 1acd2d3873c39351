"""A user's notifications as the pages and the API read them: newest first, with what each is about, read now.

A notification stores its title and body as text in both languages (for mail). The pages say it in the
reader's language instead, from its kind and what it points at: the task's titles and due time, the
decision its form recorded, the comment that mentioned the reader.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.models import Comment, HumanTask, Notification, ProcessDefinition, ProcessInstance, User

PAGE_SIZE = 25


@dataclass(frozen=True)
class NotificationView:
    """One notification with what it is about: its task and instance as they are now, who acted, and when."""

    id: int
    kind: str
    title: str  # as stored: both languages, for mail
    body: str
    instance_id: int | None
    task_id: int | None
    created_at: datetime
    read_at: datetime | None
    task_title: str | None = None
    task_title_en: str | None = None
    due_at: datetime | None = None
    decision: str | None = None  # "approved" or "returned", for a decision
    actor: str | None = None  # who decided, or who mentioned the reader (display name)
    comment_id: int | None = None  # the comment that mentioned the reader
    process_name: str | None = None
    instance_title: str | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None


@dataclass(frozen=True)
class NotificationPage:
    items: list[NotificationView]
    total: int  # in the list asked for (all, or the unread ones)
    unread: int
    page: int
    pages: int


def unread_count(session: Session, username: str) -> int:
    """How many of the user's notifications are unread (the bell in the top bar)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.username == username, Notification.read_at.is_(None))) or 0


def page_of(session: Session, username: str, *, unread_only: bool = False, page: int = 1,
            per_page: int = PAGE_SIZE) -> NotificationPage:
    """One page of the user's notifications, newest first, with how many there are and how many unread."""
    total, unread = counts(session, username, unread_only=unread_only)
    items = listed(session, username, unread_only=unread_only, limit=per_page, offset=(page - 1) * per_page)
    return NotificationPage(items, total, unread, page, max(1, -(-total // per_page)))


def counts(session: Session, username: str, *, unread_only: bool = False) -> tuple[int, int]:
    """How many notifications the list holds (all of the user's, or the unread ones), and how many are unread."""
    unread = unread_count(session, username)
    if unread_only:
        return unread, unread
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.username == username)) or 0, unread


def listed(session: Session, username: str, *, unread_only: bool = False, limit: int = PAGE_SIZE,
           offset: int = 0) -> list[NotificationView]:
    """The user's notifications, newest first, each with what it is about."""
    query = select(Notification).where(Notification.username == username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = list(session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)))
    return _described(session, rows)


def own(session: Session, username: str, notification_id: int) -> NotificationView:
    """One of the user's notifications; NotFound for anyone else's, as for one that does not exist."""
    row = session.get(Notification, notification_id)
    if row is None or row.username != username:
        raise NotFound(f"no notification {notification_id} for {username}")
    return _described(session, [row])[0]


def decision_in(data: dict[str, Any]) -> str | None:
    """The decision a submitted form records, if it is an approval: "approved" or "returned"."""
    if isinstance(data.get("approval_decision"), str):
        return "approved" if data["approval_decision"] == "approve" else "returned"
    flags = [v for k, v in data.items() if (k == "approved" or k.endswith("_approved")) and isinstance(v, bool)]
    if flags:
        return "approved" if flags[0] else "returned"
    return None


def comment_of(key: str) -> int | None:
    """The comment a mention's key names ("mention:<comment id>:<user name>")."""
    parts = key.split(":")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "mention" and parts[1].isdigit() else None


def _described(session: Session, rows: list[Notification]) -> list[NotificationView]:
    """The rows with their tasks, instances and comments, read in one query each (only the columns shown)."""
    tasks = _by_id(session, {r.task_id for r in rows if r.task_id}, HumanTask.id, HumanTask.title,
                   HumanTask.title_en, HumanTask.due_at, HumanTask.submitted_data, HumanTask.completed_by)
    instances = _by_id(session, {r.instance_id for r in rows if r.instance_id}, ProcessInstance.id,
                       ProcessInstance.title, ProcessDefinition.name)
    comments = _by_id(session, {c for r in rows if r.kind == "mention" and (c := comment_of(r.key))},
                      Comment.id, Comment.author)
    names = _display_names(session, {t.completed_by for t in tasks.values() if t.completed_by}
                           | {c.author for c in comments.values()})
    return [_view(row, tasks.get(row.task_id or 0), instances.get(row.instance_id or 0),
                  comments.get(comment_of(row.key) or 0), names) for row in rows]


def _view(row: Notification, task: Any, instance: Any, comment: Any, names: dict[str, str]) -> NotificationView:
    decision = decision_in(task.submitted_data or {}) if task is not None and row.kind == "decision" else None
    who = comment.author if comment is not None else (task.completed_by if decision and task else None)
    return NotificationView(
        row.id, row.kind, row.title, row.body, row.instance_id, row.task_id, row.created_at, row.read_at,
        task_title=task.title if task else None, task_title_en=task.title_en if task else None,
        due_at=task.due_at if task else None, decision=decision, actor=names.get(who, who) if who else None,
        comment_id=comment.id if comment else None, process_name=instance.name if instance else None,
        instance_title=instance.title if instance else None)


def _by_id(session: Session, ids: set[int], id_column: Any, *columns: Any) -> dict[int, Any]:
    """Rows by id with the columns asked for (an instance's with its process's name)."""
    if not ids:
        return {}
    query = select(id_column, *columns).where(id_column.in_(ids))
    if id_column is ProcessInstance.id:
        query = query.join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
    return {row.id: row for row in session.execute(query)}


def _display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    return {u: n or u for u, n in session.execute(
        select(User.username, User.display_name).where(User.username.in_(usernames)))}
