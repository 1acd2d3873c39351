"""Who may read an instance (its record, tasks, evidence and audit trail), for the pages and the API alike.

An instance's readers are its evidence readers (engine/services/evidence.py: those who took part
in it, and the roles that oversee the system, process_admin among them) and whoever may work on
one of its open tasks (engine/services/tasks.py `may_work_on`): they need the context of the
step they are offered. A task is readable by the readers of its instance.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine import queries
from engine.errors import NotFound, NotPermitted
from engine.models import Evidence, HumanTask, ProcessInstance
from engine.services import evidence, instances, tasks
from engine.services.users import Actor, get_actor


def readable_instance(session: Session, instance_id: int, actor: str) -> tuple[ProcessInstance, list[Evidence]]:
    """The instance and its evidence files; NotFound or NotPermitted as the engine decides."""
    user = get_actor(session, actor)
    instance = instances.get_instance(session, instance_id)
    if any(tasks.may_work_on(task, user) for task in queries.open_tasks_of(session, instance_id)):
        return instance, queries.evidence_of(session, instance_id=instance_id)
    try:
        return instance, evidence.listing(session, instance_id=instance_id, actor=actor)
    except NotPermitted as exc:
        raise NotPermitted(f"{actor} may not see instance {instance_id}: it is for those who took part, "
                           f"may work on one of its open tasks, or oversee the system "
                           f"({', '.join(sorted(evidence.READER_ROLES))})") from exc


def require_oversight(session: Session, actor: str, what: str) -> Actor:
    """The actor, if they oversee the system (may read every record); NotPermitted otherwise."""
    user = get_actor(session, actor)
    if not set(user.role_ids) & evidence.READER_ROLES:
        raise NotPermitted(f"{actor} may not see {what}: it is for those who oversee the system "
                           f"({', '.join(sorted(evidence.READER_ROLES))})")
    return user


def readable_task(session: Session, task_id: int, actor: str) -> HumanTask:
    """The task, for a reader of its instance."""
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    readable_instance(session, task.instance_id, actor)
    return task
