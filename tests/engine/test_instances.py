"""Instance lifecycle: suspend, resume, terminate, and scripts that fail or break the sandbox."""
from __future__ import annotations

import pytest

from engine.errors import Conflict, NotPermitted
from engine.read import queries
from engine.services import instances, tasks
from tests.factories import (
    bpmn,
    complete,
    deploy,
    flows,
    instance,
    open_task,
    open_task_names,
    start_corrective_action,
    user_task,
)


def _transition(db, verb, nc, actor="admin"):
    with db.transaction() as session:
        return getattr(instances, verb)(session, instance_id=nc, actor=actor)


def test_suspended_instance_refuses_work_until_resumed(db):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    assert _transition(db, "suspend", nc).status == "suspended"
    with db.transaction() as session, pytest.raises(Conflict, match="instance is suspended"):
        tasks.claim(session, task_id=task.id, actor="body")
    assert _transition(db, "resume", nc).status == "running"
    complete(db, nc, "evaluate_consequences", "body")


def test_terminate_cancels_open_tasks_and_is_final(db):
    nc = start_corrective_action(db)
    assert _transition(db, "terminate", nc).status == "terminated"
    assert open_task_names(db, nc) == []
    assert instance(db, nc).ended_at is not None
    with pytest.raises(Conflict, match="is terminated; cannot resume"):
        _transition(db, "resume", nc)


def test_only_process_admins_change_instance_status(db):
    nc = start_corrective_action(db)
    with pytest.raises(NotPermitted, match="needs role process_admin"):
        _transition(db, "terminate", nc, actor="gm")
    assert instance(db, nc).status == "running"


def test_every_status_change_is_audited(db):
    nc = start_corrective_action(db)
    _transition(db, "suspend", nc)
    _transition(db, "resume", nc)
    _transition(db, "terminate", nc)
    with db.reading() as session:
        actions = [(e.action, e.actor) for e in queries.audit_events(session, instance_id=nc)]
    assert actions == [("start", "staff_prod"), ("suspend", "admin"), ("resume", "admin"), ("terminate", "admin")]


def test_version_counter_increases_with_each_change(db):
    nc = start_corrective_action(db)
    first = instance(db, nc).version
    complete(db, nc, "evaluate_consequences", "body")
    assert instance(db, nc).version > first


def _script_process(db, script: str, process_id: str = "scripted") -> None:
    flow = (f'<bpmn:startEvent id="start" /><bpmn:scriptTask id="calc" name="Calc"><bpmn:script>{script}'
            f'</bpmn:script></bpmn:scriptTask>{user_task("check")}<bpmn:endEvent id="end" />'
            + flows(("start", "calc"), ("calc", "check"), ("check", "end")))
    deploy(db, bpmn(process_id, flow, lanes={"carbon_staff": ["start", "calc", "check", "end"]}))


def _start(db, process_id="scripted", data=None):
    with db.transaction() as session:
        return instances.start(session, process_id=process_id, actor="staff_prod", data=data or {}).id


@pytest.mark.parametrize("script, error", [
    ("import os", "__import__ not found"),
    ("x = open('/etc/hostname').read()", "name 'open' is not defined"),
    ("x = 10 ** 10 ** 6", "power too large"),
    ("while True: pass", "longer than"),
])
def test_a_script_breaking_the_sandbox_puts_the_instance_in_error(db, script, error):
    _script_process(db, script)
    nc = _start(db)
    failed = instance(db, nc)
    assert failed.status == "error"
    assert error in failed.error_message and "calc" in failed.error_message
    assert open_task_names(db, nc) == []
    with db.reading() as session:
        assert [e.action for e in queries.audit_events(session, instance_id=nc)] == ["start", "error"]


def test_a_failed_script_can_be_retried_with_corrected_data(db):
    _script_process(db, "ratio = emissions / output")
    nc = _start(db, data={"emissions": 100, "output": 0})
    assert "ZeroDivisionError" in instance(db, nc).error_message
    with db.transaction() as session:
        retried = instances.retry(session, instance_id=nc, actor="admin", data={"output": 4})
        assert retried.status == "running"
    assert instance(db, nc).data["ratio"] == 25
    assert instance(db, nc).error_message is None
    assert open_task_names(db, nc) == ["check"]


def test_retry_is_only_for_instances_in_error(db):
    nc = start_corrective_action(db)
    with db.transaction() as session, pytest.raises(Conflict, match="cannot retry"):
        instances.retry(session, instance_id=nc, actor="admin")


def test_scripts_can_use_date_and_decimal_helpers(db):
    _script_process(db, "due = add_days(detected, 14)\nend = end_of_day(due)\n"
                        "intensity = str(decimal('1.10') * decimal(3))")
    nc = _start(db, data={"detected": "2026-11-20"})
    data = instance(db, nc).data
    assert data["due"] == "2026-12-04"
    assert data["end"] == "2026-12-04T23:59:59+08:00"
    assert data["intensity"] == "3.30"


def test_a_failed_post_script_of_a_user_task_is_retried_with_the_submitted_data(db):
    post = ('<bpmn:userTask id="check" name="Check"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formKey" value="test.note" />'
            '</spiffworkflow:properties><spiffworkflow:postScript>share = 100 / parts</spiffworkflow:postScript>'
            '</bpmn:extensionElements></bpmn:userTask>')
    flow = ('<bpmn:startEvent id="start" />' + post + user_task("after") + '<bpmn:endEvent id="end" />'
            + flows(("start", "check"), ("check", "after"), ("after", "end")))
    deploy(db, bpmn("post_scripted", flow, lanes={"carbon_staff": ["start", "check", "after", "end"]}))
    nc = _start(db, "post_scripted", data={"parts": 0})
    complete(db, nc, "check", "staff_prod", {"follow_up_note": "done"})
    assert instance(db, nc).status == "error"
    with db.transaction() as session:
        instances.retry(session, instance_id=nc, actor="admin", data={"parts": 4})
    assert instance(db, nc).status == "running"
    assert instance(db, nc).data["share"] == 25
    assert open_task_names(db, nc) == ["after"]


def test_a_task_that_could_not_be_prepared_is_retried_with_corrected_data(db):
    flow = ('<bpmn:startEvent id="start" />' + user_task("mine", candidateUser="owner")
            + '<bpmn:endEvent id="end" />' + flows(("start", "mine"), ("mine", "end")))
    deploy(db, bpmn("owned", flow, lanes={"carbon_staff": ["start", "mine", "end"]}))
    nc = _start(db, "owned", data={"owner": "nobody"})
    assert instance(db, nc).status == "error" and "'nobody' is not a user" in instance(db, nc).error_message
    assert open_task_names(db, nc) == []
    with db.transaction() as session:
        instances.retry(session, instance_id=nc, actor="admin", data={"owner": "staff_energy"})
    assert open_task(db, nc, "mine").assignee == "staff_energy"


def test_a_timer_whose_expression_failed_is_retried_with_corrected_data(db):
    flow = ('<bpmn:startEvent id="start" /><bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>'
            '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">end_of_day(when)</bpmn:timeDate>'
            '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>' + user_task("after")
            + '<bpmn:endEvent id="end" />' + flows(("start", "wait"), ("wait", "after"), ("after", "end")))
    deploy(db, bpmn("timed", flow, lanes={"carbon_staff": ["start", "wait", "after", "end"]}))
    nc = _start(db, "timed")
    assert instance(db, nc).status == "error" and "when" in instance(db, nc).error_message
    with db.transaction() as session:
        instances.retry(session, instance_id=nc, actor="admin", data={"when": "2099-01-01"})
    assert instance(db, nc).status == "running"
    # 23:59:59 on 1 January 2099 at the plant is 15:59:59 UTC.
    assert instance(db, nc).next_timer_at.isoformat() == "2099-01-01T15:59:59+00:00"


def test_a_scheduled_start_whose_first_script_failed_is_retried_with_corrected_data(db):
    # The timer start fired and its first script failed in the same step: the retry must not leave the instance
    # "running" with nothing open (the timer's last cycle completes first, then the script runs on the new data).
    from engine.services import schedules

    flow = ('<bpmn:startEvent id="yearly"><bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">'
            '"R/2027-03-01T09:00:00+08:00/P1Y"</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>'
            '<bpmn:scriptTask id="init" name="Init"><bpmn:script>year = int(override_year)</bpmn:script>'
            f'</bpmn:scriptTask>{user_task("check")}<bpmn:endEvent id="end" />'
            + flows(("yearly", "init"), ("init", "check"), ("check", "end")))
    deploy(db, bpmn("yearly_thing", flow, lanes={"carbon_staff": ["yearly", "init", "check", "end"]}))
    with db.transaction() as session:
        iid = schedules.start_now(session, process_id="yearly_thing", actor="admin")
    assert "override_year" in instance(db, iid).error_message
    with db.transaction() as session:
        instances.retry(session, instance_id=iid, actor="admin", data={"override_year": 2027})
    assert (instance(db, iid).status, instance(db, iid).data["year"]) == ("running", 2027)
    assert open_task_names(db, iid) == ["check"]
