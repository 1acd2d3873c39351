"""What each kind of background job does (registered with engine.services.jobs)."""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import clock
from engine.background import mail
from engine.db import Database
from engine.models import HumanTask, Job, Notification, User
from engine.read import clauses
from engine.services import jobs, messages, notifications, users


@jobs.handler("notify_task")
def notify_task(session: Session, job: Job) -> dict[str, Any]:
    return {"notified": notifications.task_opened(session, job.payload["task_id"])}


@jobs.handler("notify_decision")
def notify_decision(session: Session, job: Job) -> dict[str, Any]:
    task = session.get(HumanTask, job.payload["task_id"])
    return {"notified": notifications.decision_made(session, task, job.payload["decision"]) if task else 0}


@jobs.handler("deliver_message")
def deliver_message(session: Session, job: Job) -> dict[str, Any]:
    """A message sent through the API: started or continued in the background, as its sender."""
    delivery = messages.send_message(session, name=job.payload["name"], payload=job.payload.get("data", {}),
                                     actor=job.created_by)
    return {"started": delivery.started, "continued": delivery.continued}


@jobs.io_handler("clause_report")
def clause_report(db: Database, job: Job) -> dict[str, Any]:
    """The clause coverage report for a period, kept as the job's result (read without the write lock)."""
    since, until = (datetime.fromisoformat(job.payload[k]) if job.payload.get(k) else None for k in ("since", "until"))
    with db.reading() as session:
        return clauses.coverage(session, since=since, until=until)


@jobs.handler("import_users")
def import_users(session: Session, job: Job) -> dict[str, Any]:
    """Bulk import of users (an admin's CSV): new ones created, existing ones left as they are."""
    return users.import_users(session, rows=job.payload["rows"], actor=job.created_by)


@jobs.io_handler("send_email")
def send_email(db: Database, job: Job) -> dict[str, Any]:
    """Mail a notification to its user, outside any transaction (at least once: marked after the send)."""
    url = os.environ.get("MAIL_URL")
    if not url:
        # Keeps the job pending for a worker that has a mail server, rather than dropping the mail.
        raise RuntimeError("MAIL_URL is not set on this worker")
    with db.reading() as session:
        row = session.get(Notification, job.payload["notification_id"])
        if row is None or row.emailed_at is not None:
            return {"sent": False}
        address = session.scalar(select(User.email).where(User.username == row.username))
        subject, body = row.title, row.body
    if not address:
        return {"sent": False, "reason": "no address"}
    mail.send(url, to=address, subject=subject, body=body)
    with db.transaction() as session:
        sent = session.get(Notification, job.payload["notification_id"])
        if sent is not None:
            sent.emailed_at = clock.now()
    return {"sent": True, "to": address}
