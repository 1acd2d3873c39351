"""The open-task counts the dashboard reads are kept by the same transactions that open and close tasks."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine.errors import InvalidFormData
from engine.models import OpenTaskCount
from engine.models.task_counts import recount
from engine.services import instances
from tests.factories import analyse_data, complete, start_corrective_action


def _counts(db) -> dict[tuple[str, str], int]:
    with db.reading() as session:
        return {(c.process_id, c.role): c.open_count for c in session.scalars(select(OpenTaskCount)) if c.open_count}


def test_starting_completing_and_terminating_move_the_counts(db):
    assert _counts(db) == {}
    first = start_corrective_action(db)
    second = start_corrective_action(db)
    assert _counts(db) == {("corrective_action", "carbon_body"): 2}
    complete(db, first, "evaluate_consequences", "body")
    assert _counts(db) == {("corrective_action", "carbon_body"): 1, ("corrective_action", "department_head"): 1}
    complete(db, first, "analyse_cause", "head_prod", analyse_data())
    with db.transaction() as session:
        instances.terminate(session, instance_id=second, actor="admin", reason="raised twice")
    assert _counts(db) == {("corrective_action", "carbon_staff"): 1}


def test_a_refused_completion_changes_no_count(db):
    nc = start_corrective_action(db)
    with pytest.raises(InvalidFormData):
        complete(db, nc, "evaluate_consequences", "body", {"consequences": ""})
    assert _counts(db) == {("corrective_action", "carbon_body"): 1}


def test_recount_rebuilds_the_counts_from_the_tasks(db):
    start_corrective_action(db)
    with db.transaction() as session:
        session.execute(OpenTaskCount.__table__.update().values(open_count=42))
    with db.transaction() as session:
        recount(session)
    assert _counts(db) == {("corrective_action", "carbon_body"): 1}


def test_parallel_completions_keep_the_counts_right(db):
    started = [start_corrective_action(db) for _ in range(8)]

    def work(nc: int) -> None:
        complete(db, nc, "evaluate_consequences", "body")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(work, started))
    assert _counts(db) == {("corrective_action", "department_head"): 8}
