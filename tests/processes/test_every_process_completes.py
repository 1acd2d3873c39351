"""Every process in processes/ can be walked to its end with generated valid form data: none dead-ends."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import people
from engine.bpmn.parsing import start_events
from engine.bpmn.runtime import shared_runtime
from engine.config import PROJECT_ROOT
from engine.errors import InvalidFormData
from engine.models import HumanTask, InstanceStatus, ProcessInstance
from engine.people import get_actor
from engine.read.definitions import latest_definition
from engine.services import instances, messages, timers
from tests.factories import EVIDENCE, USERS, complete_as
from tests.formdata import sample_form

PROCESSES = sorted(path.stem for path in (PROJECT_ROOT / "processes").glob("*.bpmn"))
MAX_STEPS = 200


@pytest.mark.parametrize("process_id", PROCESSES)
def test_the_process_walks_to_its_end_with_generated_data(db, process_id):
    first = _start(db, process_id)
    for _ in range(MAX_STEPS):
        running = _running(db)
        if not running:
            break
        if not _work_one_task(db, running) and not _fire_next_timer(db, running):
            pytest.fail(f"dead end: instances {running} of {process_id} wait for nothing a person or timer can give")
    else:
        pytest.fail(f"{process_id} did not finish within {MAX_STEPS} steps")
    with db.reading() as session:
        walked = session.execute(select(ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.status,
                                        ProcessInstance.error_message)).all()
    assert [(i, p, s, e) for i, p, s, e in walked if s != InstanceStatus.COMPLETED.value] == []
    assert first in [i for i, *_ in walked]


def _start(db, process_id: str) -> int:
    with db.transaction() as session:
        definition = latest_definition(session, process_id)
        spec, _ = shared_runtime().specs(definition.content_hash, lambda: definition.spec_json)
        starts = start_events(spec)
        by_hand = next((s for s in starts if s.trigger == "none"), None)
        if by_hand is None:
            on_message = next(s for s in starts if s.trigger == "message")
            data = sample_form(on_message.form_key) if on_message.form_key else {}
            return messages.send_message(session, name=on_message.message, payload=data, actor="gm").started[0]
        starter = next(u for u, (roles, _) in USERS.items()
                       if not by_hand.start_roles or set(roles) & set(by_hand.start_roles))
        data = sample_form(definition.start_form_key) if definition.start_form_key else {}
        return instances.start(session, process_id=process_id, actor=starter, data=data).id


def _running(db) -> list[int]:
    with db.reading() as session:
        stopped = session.scalars(select(ProcessInstance).where(ProcessInstance.status.in_(
            [InstanceStatus.ERROR.value, InstanceStatus.SUSPENDED.value]))).all()
        assert [(i.process_id, i.error_message) for i in stopped] == []
        return list(session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.status == InstanceStatus.RUNNING.value).order_by(ProcessInstance.id)))


def _work_one_task(db, running: list[int]) -> bool:
    with db.reading() as session:
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id.in_(running),
                                                      HumanTask.status == "ready").order_by(HumanTask.id))
        if task is None:
            return False
        # The most specialised user first: top management (gm) only does what no one else may.
        by_specialism = sorted(USERS, key=lambda u: len(USERS[u][0]))
        actor = next((u for u in by_specialism if people.may_work_on(task, get_actor(session, u))), None)
    assert actor is not None, f"no user may do task {task.name} of {task.process_id}"
    for data in (sample_form(task.form_key), sample_form(task.form_key, required_only=True)):
        try:
            with db.transaction() as session:
                complete_as(session, task, actor, data, [EVIDENCE] if task.evidence_required else [])
            return True
        except InvalidFormData as exc:
            error = exc
    pytest.fail(f"generated data for {task.form_key} ({task.process_id}.{task.name}) was refused: {error}")


def _fire_next_timer(db, running: list[int]) -> bool:
    with db.reading() as session:
        due = session.scalar(select(ProcessInstance.next_timer_at).where(
            ProcessInstance.id.in_(running), ProcessInstance.next_timer_at.is_not(None))
            .order_by(ProcessInstance.next_timer_at))
    return due is not None and bool(timers.fire_due_timers(db, due + timedelta(minutes=1)))


@pytest.mark.parametrize("process_id", PROCESSES)
def test_every_shipped_process_titles_the_instance_it_starts(db, process_id):
    started = _start(db, process_id)
    with db.reading() as session:
        title = session.get(ProcessInstance, started).title
    assert title and title.strip() == title
