"""What each kind of background job does (registered with engine.services.jobs)."""
from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import clauses
from engine.background import mail
from engine.models import HumanTask, Job, Notification, User
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


@jobs.handler("clause_report")
def clause_report(session: Session, job: Job) -> dict[str, Any]:
    """The clause coverage report for a period, kept as the job's result."""
    since, until = (datetime.fromisoformat(job.payload[k]) if job.payload.get(k) else None for k in ("since", "until"))
    return clauses.coverage(session, since=since, until=until)


@jobs.handler("import_users")
def import_users(session: Session, job: Job) -> dict[str, Any]:
    """Bulk import of users (an admin's CSV): new ones created, existing ones left as they are."""
    return users.import_users(session, rows=job.payload["rows"], actor=job.created_by)


@jobs.handler("send_email")
def send_email(session: Session, job: Job) -> dict[str, Any]:
    """Mail a notification to its user (at least once: the mark is written after the send)."""
    row = session.get(Notification, job.payload["notification_id"])
    if row is None or row.emailed_at is not None:
        return {"sent": False}
    address = session.query(User.email).filter(User.username == row.username).scalar()
    url = os.environ.get("MAIL_URL")
    if not address or not url:
        return {"sent": False, "reason": "no address" if url else "MAIL_URL not set"}
    mail.send(url, to=address, subject=row.title, body=row.body)
    row.emailed_at = job.finished_at or row.created_at
    return {"sent": True, "to": address}
