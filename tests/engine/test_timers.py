"""The timer sweep: fires what is due, once, and never for suspended or broken instances."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from engine.models import AuditEvent
from engine.services import instances, timers
from tests.factories import (
    analyse_data,
    bpmn,
    complete,
    days_ahead,
    deploy,
    end_of_day,
    flows,
    instance,
    open_task_names,
    start_corrective_action,
    user_task,
)

DUE = days_ahead(10)
LATE = end_of_day(DUE) + timedelta(hours=9)


def _overdue_correction(db, key="NC-1"):
    nc = start_corrective_action(db, business_key=key)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(correction_due=DUE))
    return nc


def _fired_events(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "timer_fired"))


def test_nothing_fires_before_it_is_due_and_a_second_sweep_fires_nothing(db):
    nc = _overdue_correction(db)
    assert timers.fire_due_timers(db, end_of_day(DUE) - timedelta(hours=4)) == []
    assert len(timers.fire_due_timers(db, LATE)) == 1
    assert timers.fire_due_timers(db, LATE) == []
    assert open_task_names(db, nc).count("follow_up_overdue") == 1


def test_a_suspended_instance_fires_only_once_resumed(db):
    nc = _overdue_correction(db)
    with db.transaction() as session:
        instances.suspend(session, instance_id=nc, actor="admin")
    assert timers.fire_due_timers(db, LATE) == []
    with db.transaction() as session:
        instances.resume(session, instance_id=nc, actor="admin")
    assert [f.timer for f in timers.fire_due_timers(db, LATE)] == ["correction_overdue"]


def test_two_sweeps_racing_fire_each_timer_once(db):
    ids = [_overdue_correction(db, key=f"NC-{i}") for i in range(4)]
    barrier = threading.Barrier(2)
    results: list[list[timers.FiredTimer]] = []

    def sweep():
        barrier.wait()
        results.append(timers.fire_due_timers(db, LATE))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    fired = sorted(f.instance_id for batch in results for f in batch)
    assert fired == sorted(ids)
    assert _fired_events(db) == 4
    for nc in ids:
        assert open_task_names(db, nc) == ["follow_up_overdue"]  # the overdue correction waits for its new date


def test_a_broken_instance_does_not_stop_the_sweep(db):
    flow = ('<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait">'
            '<bpmn:timerEventDefinition><bpmn:timeDate xsi:type="bpmn:tFormalExpression">end_of_day(add_days(today(), 5))'
            '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
            '<bpmn:scriptTask id="boom" name="Boom"><bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>'
            + user_task("never") + '<bpmn:endEvent id="end" />'
            + flows(("start", "wait"), ("wait", "boom"), ("boom", "never"), ("never", "end")))
    deploy(db, bpmn("breaks_later", flow, lanes={"carbon_staff": ["start", "wait", "boom", "never", "end"]}))
    with db.transaction() as session:
        broken = instances.start(session, process_id="breaks_later", actor="staff_prod").id
    healthy = _overdue_correction(db)

    fired = timers.fire_due_timers(db, LATE)

    assert {f.instance_id for f in fired} == {broken, healthy}
    assert instance(db, broken).status == "error" and "ZeroDivisionError" in instance(db, broken).error_message
    assert instance(db, healthy).status == "running"
    assert "follow_up_overdue" in open_task_names(db, healthy)


def test_an_instance_the_sweep_cannot_load_is_put_in_error_once(db):
    from sqlalchemy import update

    from engine.models import ProcessInstance
    healthy = _overdue_correction(db, key="NC-ok")
    broken = _overdue_correction(db, key="NC-broken")
    with db.transaction() as session:  # a state no engine can restore
        session.execute(update(ProcessInstance).where(ProcessInstance.id == broken).values(state_json="{"))

    fired = timers.fire_due_timers(db, LATE)

    assert [f.instance_id for f in fired] == [healthy]
    assert instance(db, broken).status == "error"
    assert instance(db, broken).error_message.startswith("timer sweep: JSONDecodeError")
    assert instance(db, broken).next_timer_at is None
    assert timers.fire_due_timers(db, LATE) == []


def test_a_sweep_visits_every_due_instance_across_batches(db):
    ids = [_overdue_correction(db, key=f"NC-{i}") for i in range(5)]
    fired = timers.fire_due_timers(db, LATE, batch=2)
    assert sorted(f.instance_id for f in fired) == ids
