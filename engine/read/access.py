"""Who may read an instance (its record, tasks, evidence files and audit trail), for the pages, the API and the CLI.

An instance's readers are the roles that oversee the system (READER_ROLES, process_admin among them),
those who took part in it (started it, completed or hold one of its tasks) and whoever may work on one
of its open tasks (engine/people.py `may_work_on`): they need the context, and the evidence,
of the step they are offered. A task and an evidence file are readable by the readers of their instance.
"""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import people
from engine.errors import NotFound, NotPermitted
from engine.models import Evidence, HumanTask, ProcessInstance
from engine.people import ADMIN_ROLE, READ_ONLY_ROLE, Actor, get_actor
from engine.read import queries

# Who may read every instance: the people who oversee and audit the system.
READER_ROLES = frozenset({"top_management", "carbon_body", "internal_auditor", READ_ONLY_ROLE, ADMIN_ROLE})


def readable_instance(session: Session, instance_id: int, actor: str) -> tuple[ProcessInstance, list[Evidence]]:
    """The instance and its evidence files; NotFound or NotPermitted as the engine decides."""
    user = get_actor(session, actor)
    instance = queries.get_instance(session, instance_id)
    if not may_read(session, instance, user):
        raise NotPermitted(f"{actor} may not see instance {instance_id}: it is for those who took part, "
                           f"may work on one of its open tasks, or oversee the system "
                           f"({', '.join(sorted(READER_ROLES))})")
    return instance, queries.evidence_of(session, instance_id=instance_id)


def require_oversight(session: Session, actor: str, what: str) -> Actor:
    """The actor, if they oversee the system (may read every record); NotPermitted otherwise."""
    user = get_actor(session, actor)
    if not set(user.role_ids) & READER_ROLES:
        raise NotPermitted(f"{actor} may not see {what}: it is for those who oversee the system "
                           f"({', '.join(sorted(READER_ROLES))})")
    return user


def readable_task(session: Session, task_id: int, actor: str) -> HumanTask:
    """The task, for a reader of its instance."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    readable_instance(session, task.instance_id, actor)
    return task


def may_read(session: Session, instance: ProcessInstance, user: Actor) -> bool:
    """Whether the user took part in the instance, may work on one of its open tasks, or oversees the system."""
    if set(user.role_ids) & READER_ROLES or instance.started_by == user.username:
        return True
    took_part = session.scalar(select(HumanTask.id).where(
        HumanTask.instance_id == instance.id,
        or_(HumanTask.completed_by == user.username, HumanTask.assignee == user.username)).limit(1))
    return took_part is not None or any(people.may_work_on(task, user)
                                        for task in queries.open_tasks_of(session, instance.id))
