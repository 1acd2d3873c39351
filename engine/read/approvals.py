"""The decisions waiting for top management's signature: what each is about, who submitted it, when, what changed."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import HumanTask, TaskStatus
from engine.people import Actor
from engine.read import queries
from forms.describe import describe


@dataclass(frozen=True)
class Waiting:
    """A decision to sign, with the submission it decides on."""

    task: HumanTask
    business_key: str | None
    instance_title: str | None
    submitted_by: str | None
    submitted_at: datetime
    submitted_step: HumanTask | None
    changed: tuple[tuple[str, str], ...] | None  # (zh, en) labels changed since the last round; None: a first one


def waiting_decisions(session: Session, actor: Actor, *, limit: int = 500) -> list[Waiting]:
    """The open tasks needing the actor's signature, oldest submission first within the inbox's due order."""
    waiting = [t for t in queries.tasks_for_user(session, actor, scope="all", limit=limit) if t.requires_signature]
    ids = [t.instance_id for t in waiting]
    keys, titles = queries.business_keys(session, ids), queries.instance_titles(session, ids)
    return [_waiting(session, task, keys.get(task.instance_id), titles.get(task.instance_id)) for task in waiting]


def _waiting(session: Session, task: HumanTask, key: str | None, title: str | None) -> Waiting:
    done = list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id == task.instance_id, HumanTask.status == TaskStatus.COMPLETED.value,
        HumanTask.completed_at <= task.created_at).order_by(HumanTask.completed_at, HumanTask.id)))
    if not done:  # decided straight on the start form
        return Waiting(task, key, title, None, task.created_at, None, None)
    submitted = done[-1]
    earlier = next((t for t in reversed(done[:-1]) if t.name == submitted.name), None)
    changed = None if earlier is None else _changed(submitted, earlier)
    return Waiting(task, key, title, submitted.completed_by, submitted.completed_at or task.created_at,
                   submitted, changed)


def _changed(now: HumanTask, before: HumanTask) -> tuple[tuple[str, str], ...]:
    """The labels of the fields whose entries differ between two rounds of the same step, in form order."""
    new, old = now.submitted_data or {}, before.submitted_data or {}
    changed = {name: new.get(name) for name in sorted(set(new) | set(old)) if new.get(name) != old.get(name)}
    return tuple((line.label_zh, line.label_en) for line in describe(now.form_key, changed))
