"""How processes start: by hand (with start roles), on a message (with its form), on a schedule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.errors import Conflict, InvalidFormData, InvalidProcess, NotFound, NotPermitted
from engine.models import StartSchedule
from engine.read import queries
from engine.services import instances, messages, schedules
from tests.factories import bpmn, deploy, flows, instance, open_task_names, user_task

# Started by hand (carbon body only), by a message checked with a form, or yearly on 1 March.
THREE_WAYS = bpmn("three_ways", (
    '<bpmn:startEvent id="by_hand"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="startRoles" value="carbon_body" /></spiffworkflow:properties>'
    '</bpmn:extensionElements></bpmn:startEvent>'
    '<bpmn:startEvent id="on_change"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="formKey" value="test.note" />'
    '</spiffworkflow:properties></bpmn:extensionElements>'
    '<bpmn:messageEventDefinition id="med" messageRef="msg_change" /></bpmn:startEvent>'
    '<bpmn:startEvent id="yearly"><bpmn:timerEventDefinition id="ted"><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
    '"R/2027-03-01T09:00:00+08:00/P1Y"</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
    '<bpmn:exclusiveGateway id="merge" />'
    + user_task("work") + '<bpmn:endEvent id="end" />'
    + flows(("by_hand", "merge"), ("on_change", "merge"), ("yearly", "merge"), ("merge", "work"), ("work", "end"))),
    lanes={"carbon_body": ["by_hand", "on_change", "yearly", "merge", "work", "end"]},
    extra='<bpmn:message id="msg_change" name="test_change_detected" />')

MARCH_2027 = datetime(2027, 3, 1, 1, 0, tzinfo=timezone.utc)  # 09:00 in Shanghai


def _started_here(db, now):
    """Instances of three_ways the sweep started (other processes in processes/ have schedules too)."""
    started = schedules.start_due(db, now)
    with db.reading() as session:
        return [i for i in started if queries.get_instance(session, i).process_id == "three_ways"]


def _schedule(db, process_id="three_ways"):
    with db.reading() as session:
        return session.query(StartSchedule).filter_by(process_id=process_id).one()


def test_start_roles_decide_who_may_start_by_hand(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session, pytest.raises(NotPermitted, match="needs role carbon_body"):
        instances.start(session, process_id="three_ways", actor="staff_prod")
    with db.transaction() as session:
        started = instances.start(session, process_id="three_ways", actor="body")
    assert open_task_names(db, started.id) == ["work"]
    # Only the hand start ran: no message wait or timer is left behind.
    assert instance(db, started.id).next_timer_at is None
    with db.reading() as session:
        assert queries.open_tasks_of(session, started.id)[0].name == "work"


def test_a_message_start_checks_the_data_with_its_form_and_keeps_it_as_process_data(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="follow_up_note"):
        messages.send_message(session, name="test_change_detected", payload={"wrong": 1}, actor="gm")
    with db.transaction() as session:
        delivery = messages.send_message(session, name="test_change_detected",
                                         payload={"follow_up_note": "Kiln 3 added"}, actor="gm")
    started = instance(db, delivery.started[0])
    assert started.data["follow_up_note"] == "Kiln 3 added"
    assert open_task_names(db, started.id) == ["work"]


def test_a_process_without_a_hand_start_cannot_be_started_by_hand(db):
    only_message = bpmn("only_message", (
        '<bpmn:startEvent id="s"><bpmn:messageEventDefinition id="m" messageRef="msg" /></bpmn:startEvent>'
        + user_task("work") + flows(("s", "work"))), lanes={"carbon_body": ["s", "work"]},
        extra='<bpmn:message id="msg" name="test_only_message" />')
    deploy(db, only_message)
    with db.transaction() as session, pytest.raises(Conflict, match="starts on message test_only_message"):
        instances.start(session, process_id="only_message", actor="gm")


def test_deploying_a_timer_start_creates_its_yearly_schedule(db):
    deploy(db, THREE_WAYS)
    row = _schedule(db)
    assert (row.event_id, row.period, row.configured) == ("yearly", "P1Y", False)
    # The first 1 March 09:00 (Shanghai) not yet past.
    assert row.next_run_at.astimezone(timezone(timedelta(hours=8))).strftime("%m-%d %H:%M") == "03-01 09:00"
    assert row.next_run_at >= datetime.now(timezone.utc)


def test_a_due_schedule_starts_one_instance_and_moves_to_next_year(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session:
        schedules.configure(session, process_id="three_ways", actor="admin", next_run_at=MARCH_2027)
    assert _started_here(db, MARCH_2027 - timedelta(minutes=1)) == []
    started = _started_here(db, MARCH_2027 + timedelta(minutes=5))
    assert len(started) == 1
    run = instance(db, started[0])
    assert run.started_by == "system" and run.data["scheduled_for"] == "2027-03-01T09:00:00+08:00"
    assert open_task_names(db, run.id) == ["work"]
    assert _schedule(db).next_run_at == MARCH_2027.replace(year=2028)
    # A second sweep at the same time starts nothing more.
    assert _started_here(db, MARCH_2027 + timedelta(minutes=6)) == []


def test_missed_years_start_once_not_once_per_missed_year(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session:
        schedules.configure(session, process_id="three_ways", actor="admin", next_run_at=MARCH_2027)
    assert len(_started_here(db, MARCH_2027.replace(year=2030) + timedelta(days=2))) == 1
    assert _schedule(db).next_run_at == MARCH_2027.replace(year=2031)


def test_only_a_process_admin_changes_a_schedule_and_a_redeploy_keeps_it(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session, pytest.raises(NotPermitted):
        schedules.configure(session, process_id="three_ways", actor="gm", next_run_at=MARCH_2027)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="period"):
        schedules.configure(session, process_id="three_ways", actor="admin", period="yearly")
    with db.transaction() as session, pytest.raises(NotFound):
        schedules.configure(session, process_id="no_such_process", actor="admin")
    april = MARCH_2027.replace(month=4, day=15)
    with db.transaction() as session:
        schedules.configure(session, process_id="three_ways", actor="admin", next_run_at=april, period="P6M")
    deploy(db, THREE_WAYS.replace(b'name="Test three_ways"', b'name="Test three ways v2"'))
    row = _schedule(db)
    assert (row.next_run_at, row.period, row.configured) == (april, "P6M", True)


def test_the_audit_trail_says_what_a_schedule_change_changed(db):
    deploy(db, THREE_WAYS)
    before = _schedule(db)
    with db.transaction() as session:
        schedules.configure(session, process_id="three_ways", actor="admin", period="P6M")
    with db.reading() as session:
        event = [e for e in queries.audit_events(session) if e.action == "schedule"][-1]
    assert event.actor == "admin"
    assert event.data["changes"] == {"period": {"from": before.period, "to": "P6M"}}


def test_a_switched_off_schedule_starts_nothing(db):
    deploy(db, THREE_WAYS)
    with db.transaction() as session:
        schedules.configure(session, process_id="three_ways", actor="admin", enabled=False)
    assert _schedule(db).next_run_at is None
    assert _started_here(db, MARCH_2027.replace(year=2040)) == []


def test_a_timer_start_needs_a_quoted_repeating_interval(db):
    bad = THREE_WAYS.replace(b'"R/2027-03-01T09:00:00+08:00/P1Y"', b'"every March"')
    with pytest.raises(InvalidProcess, match="timer start event 'yearly' needs a timeCycle"):
        deploy(db, bad)


def test_start_roles_must_name_known_roles(db):
    with pytest.raises(InvalidProcess, match="startRoles names unknown role"):
        deploy(db, THREE_WAYS.replace(b'value="carbon_body" /></spiffworkflow:properties>',
                                      b'value="ceo" /></spiffworkflow:properties>', 1))


def test_a_zero_period_is_refused_at_deploy_and_by_the_admin(db):
    with pytest.raises(InvalidProcess, match="zero"):
        deploy(db, THREE_WAYS.replace(b"/P1Y", b"/PT0S"))
    deploy(db, THREE_WAYS)
    with db.transaction() as session, pytest.raises(InvalidFormData, match="zero"):
        schedules.configure(session, process_id="three_ways", actor="admin", period="P0D")


def test_a_repeat_count_is_refused(db):
    with pytest.raises(InvalidProcess, match="without a count"):
        deploy(db, THREE_WAYS.replace(b'"R/2027', b'"R3/2027'))


def test_a_message_from_outside_starts_a_process_only_for_someone_who_may_start_it(db):
    deploy(db, THREE_WAYS)  # its message start has no startRoles: the hand start's carbon_body decides
    with db.transaction() as session, pytest.raises(NotPermitted, match="needs role carbon_body"):
        messages.send_message(session, name="test_change_detected", payload={"follow_up_note": "x"},
                              actor="staff_prod")
    with db.transaction() as session:
        assert messages.send_message(session, name="test_change_detected", payload={"follow_up_note": "x"},
                                     actor="admin").started
