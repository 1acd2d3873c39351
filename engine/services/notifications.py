"""In-app notifications: new tasks, reminders before and at the due time, escalations, decisions, mentions.

Each event notifies each person once (a unique key); with MAIL_URL set, every notification of a
user with an email address is also mailed, by a background job. The stored title and body say it in
both languages, for mail; the pages say it in the reader's (engine/read/notifications.py).
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import clock
from engine.config import Settings
from engine.db import Database
from engine.errors import NotFound
from engine.models import Comment, HumanTask, Membership, Notification, ProcessInstance, TaskStatus, User
from engine.people import get_actor
from engine.read.notifications import decision_in as decision_in  # tasks.py asks here what a form decided
from engine.services import jobs

# How long before its due time a task's people are reminded.
REMINDER_LEAD = timedelta(hours=24)


def notify(session: Session, *, usernames: Iterable[str], kind: str, key: str, title: str, body: str = "",
           instance_id: int | None = None, task_id: int | None = None) -> int:
    """Notify each user once per ``key``; returns how many notifications are new."""
    created = 0
    now = clock.now()
    mail = bool(os.environ.get("MAIL_URL"))
    dialect = session.get_bind().dialect.name
    for username in sorted(set(usernames)):
        values = {"username": username, "kind": kind, "key": f"{key}:{username}", "title": title[:400], "body": body,
                  "instance_id": instance_id, "task_id": task_id, "created_at": now}
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Notification).values(values)
        result = session.execute(insert.on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id))
        notification_id = result.scalar()
        if notification_id is None:
            continue
        created += 1
        if mail:
            jobs.enqueue(session, kind="send_email", payload={"notification_id": notification_id},
                         actor=jobs.SYSTEM, instance_id=instance_id, key=f"email:{notification_id}")
    return created


def people_for(session: Session, task: HumanTask) -> list[str]:
    """Who may do the task now: its assignee or named user, else the role's members (in its department)."""
    if task.assignee or task.candidate_user:
        return [task.assignee or task.candidate_user or ""]
    query = (select(User.username).join(Membership, Membership.user_id == User.id)
             .where(Membership.role_id == task.role, User.active.is_(True)))
    if task.candidate_department:
        query = query.where(User.department_code == task.candidate_department)
    if task.excluded_department:
        query = query.where(or_(User.department_code.is_(None), User.department_code != task.excluded_department))
    excluded = set(task.excluded_users or [])
    return [u for u in session.scalars(query) if u not in excluded]


def task_opened(session: Session, task_id: int) -> int:
    """Tell the people of a new task about it (an escalation when a timer opened it)."""
    task = session.get(HumanTask, task_id)
    if task is None or task.status != TaskStatus.READY.value:
        return 0
    kind = "escalation" if task.priority == 1 else "new_task"
    return notify(session, usernames=people_for(session, task), kind=kind, key=f"{kind}:{task.id}",
                  title=_task_title(task), body=task.title_en or "", instance_id=task.instance_id, task_id=task.id)


def remind(db: Database, now: datetime | None = None, *, batch: int = 200) -> int:
    """Remind the people of tasks due within REMINDER_LEAD, and tell them when a task is overdue."""
    now = now or clock.now()
    plant = ZoneInfo(Settings.from_env().timezone)
    sent = 0
    with db.transaction() as session:
        due_soon = session.scalars(select(HumanTask).where(
            HumanTask.status == TaskStatus.READY.value, HumanTask.due_at.is_not(None),
            or_(and_(HumanTask.reminded_at.is_(None), HumanTask.due_at <= now + REMINDER_LEAD),
                and_(HumanTask.overdue_notified_at.is_(None), HumanTask.due_at <= now)))
            .order_by(HumanTask.sort_due_at).limit(batch).with_for_update(skip_locked=True))
        for task in due_soon:
            assert task.due_at is not None
            overdue = task.due_at <= now
            kind = "overdue" if overdue else "reminder"
            due_text = task.due_at.astimezone(plant).strftime("%Y-%m-%d %H:%M")
            sent += notify(session, usernames=people_for(session, task), kind=kind, key=f"{kind}:{task.id}",
                           title=_task_title(task), body=f"到期 due {due_text}",
                           instance_id=task.instance_id, task_id=task.id)
            task.reminded_at = task.reminded_at or now
            if overdue:
                task.overdue_notified_at = now
    return sent


def decision_made(session: Session, task: HumanTask, decision: str) -> int:
    """Tell whoever started the instance what was decided on it (approved, returned)."""
    starter = session.scalar(select(ProcessInstance.started_by).where(ProcessInstance.id == task.instance_id))
    if starter is None or starter == task.completed_by:
        return 0
    return notify(session, usernames=[starter], kind="decision", key=f"decision:{task.id}",
                  title=f"{task.title}: {decision}", body=f"{task.title_en or task.name}: {decision} "
                                                          f"by {task.completed_by}",
                  instance_id=task.instance_id, task_id=task.id)


def mentioned(session: Session, comment: Comment, *, usernames: Iterable[str], author_name: str,
              where: tuple[str, str]) -> int:
    """Tell the users a comment @mentions about it (``where``: the task's or instance's title, zh and en)."""
    title = f"{author_name} 在「{where[0]}」中提到了你 / {author_name} mentioned you on {where[1]}"
    return notify(session, usernames=[u for u in usernames if u != comment.author], kind="mention",
                  key=f"mention:{comment.id}", title=title, body=comment.body, instance_id=comment.instance_id,
                  task_id=comment.task_id)


def inbox(session: Session, username: str, *, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    query = select(Notification).where(Notification.username == username)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(session: Session, *, username: str, notification_ids: Iterable[int]) -> int:
    """Mark these of the user's notifications read; returns how many were unread."""
    now = clock.now()
    rows = session.scalars(select(Notification).where(
        Notification.username == username, Notification.id.in_(list(notification_ids)),
        Notification.read_at.is_(None)))
    count = 0
    for row in rows:
        row.read_at = now
        count += 1
    return count


def read_one(session: Session, *, notification_id: int, actor: str) -> Notification:
    """Mark one of the actor's notifications read (again: no change); NotFound for anyone else's."""
    get_actor(session, actor)
    row = session.get(Notification, notification_id)
    if row is None or row.username != actor:
        raise NotFound(f"no notification {notification_id} for {actor}")
    row.read_at = row.read_at or clock.now()
    return row


def read_all(session: Session, *, actor: str) -> int:
    """Mark every unread notification of the actor's read; returns how many there were."""
    get_actor(session, actor)
    done = session.execute(update(Notification).where(Notification.username == actor, Notification.read_at.is_(None))
                           .values(read_at=clock.now()))
    return done.rowcount or 0


def _task_title(task: HumanTask) -> str:
    return f"{task.title} / {task.title_en}" if task.title_en else task.title
