"""Real threads racing on a real database: exactly one wins, the other gets a conflict."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from engine.errors import Conflict
from engine.models import AuditEvent, HumanTask
from engine.services import tasks
from tests.factories import FORM_DATA, instance, open_task, start_corrective_action


def _race(db, attempts: list[Callable[[Any], Any]]) -> list[Any]:
    """Run each attempt in its own thread and transaction, released together by a barrier."""
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int) -> None:
        barrier.wait()
        try:
            with db.transaction() as session:
                results[index] = attempts[index](session)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread got
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_users_completing_the_same_task_at_once_one_wins(db):
    for round_ in range(5):
        nc = start_corrective_action(db, business_key=f"NC-{round_}")
        task = open_task(db, nc, "evaluate_consequences")
        data = {user: {**FORM_DATA["evaluate_consequences"], "consequences": f"by {user}"}
                for user in ("body", "body2")}
        results = _race(db, [lambda s, u=u, t=task.id, d=data[u]: tasks.complete(s, task_id=t, actor=u, data=d)
                             for u in ("body", "body2")])

        winners = [r for r in results if isinstance(r, HumanTask)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        with db.reading() as session:
            stored = session.get(HumanTask, task.id)
            completions = session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.task_id == task.id, AuditEvent.action == "complete"))
        assert stored.completed_by == winners[0].completed_by
        assert stored.submitted_data["consequences"] == f"by {stored.completed_by}"
        assert completions == 1
        # The process moved on exactly once: one cause-analysis task, not two.
        assert instance(db, nc).status == "running"
        with db.reading() as session:
            assert session.scalar(select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == nc, HumanTask.name == "analyse_cause")) == 1


def test_two_users_claiming_the_same_task_at_once_one_wins(db):
    for round_ in range(5):
        nc = start_corrective_action(db, business_key=f"NC-{round_}")
        task = open_task(db, nc, "evaluate_consequences")
        results = _race(db, [lambda s, u=u, t=task.id: tasks.claim(s, task_id=t, actor=u) for u in ("body", "body2")])
        winners = [r for r in results if isinstance(r, HumanTask)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert len(winners) == 1 and len(losers) == 1, results
        with db.reading() as session:
            assert session.get(HumanTask, task.id).assignee == winners[0].assignee


def test_claim_racing_completion_leaves_a_consistent_task(db):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    results = _race(db, [
        lambda s: tasks.claim(s, task_id=task.id, actor="body2"),
        lambda s: tasks.complete(s, task_id=task.id, actor="body", data=FORM_DATA["evaluate_consequences"]),
    ])
    assert sum(isinstance(r, HumanTask) for r in results) == 1
    assert all(isinstance(r, (HumanTask, Conflict)) for r in results), results
    with db.reading() as session:
        stored = session.get(HumanTask, task.id)
    if isinstance(results[1], HumanTask):
        assert stored.status == "completed" and stored.completed_by == "body"
    else:
        assert stored.status == "ready" and stored.assignee == "body2"
