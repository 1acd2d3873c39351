"""Operating as the admin does: finding instances, acting on several, incidents, schedules, diagram heat."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent, StartSchedule
from engine.services import instances
from tests.factories import bpmn, deploy, flows, instance, open_task_names, start_corrective_action, user_task
from tests.web.conftest import csrf_token


def _token(client) -> str:
    return csrf_token(client.get("/instances").get_data(as_text=True))


def _failing_instance(db) -> int:
    """An instance stopped by a script dividing by zero, waiting for corrected data."""
    flow = ('<bpmn:startEvent id="start" /><bpmn:scriptTask id="calc" name="Calc"><bpmn:script>'
            "ratio = emissions / output</bpmn:script></bpmn:scriptTask>" + user_task("check")
            + '<bpmn:endEvent id="end" />' + flows(("start", "calc"), ("calc", "check"), ("check", "end")))
    deploy(db, bpmn("scripted", flow, lanes={"carbon_staff": ["start", "calc", "check", "end"]}))
    with db.transaction() as session:
        return instances.start(session, process_id="scripted", actor="staff_prod",
                               data={"emissions": 100, "output": 0}).id


def test_the_instances_list_filters_counts_and_exports(sign_in, db):
    first = start_corrective_action(db, business_key="NC-2026-001", title="Kiln meter not calibrated")
    second = start_corrective_action(db, business_key="NC-2026-002", title="Boiler log missing")
    with db.transaction() as session:
        instances.suspend(session, instance_id=second, actor="admin")
    client = sign_in("admin")
    page = client.get("/instances?process=corrective_action").get_data(as_text=True)
    assert f'data-instance="{first}"' in page and f'data-instance="{second}"' in page
    assert 'data-total="2"' in page
    suspended = client.get("/instances?process=corrective_action&status=suspended").get_data(as_text=True)
    assert f'data-instance="{second}"' in suspended and f'data-instance="{first}"' not in suspended
    found = client.get("/instances?q=kiln").get_data(as_text=True)
    assert f'data-instance="{first}"' in found and f'data-instance="{second}"' not in found
    waiting = client.get("/instances?process=corrective_action&waiting=evaluate_consequences").get_data(as_text=True)
    assert 'data-total="2"' in waiting
    nothing = client.get("/instances?process=corrective_action&from=2099-01-01").get_data(as_text=True)
    assert 'data-total="0"' in nothing
    csv = client.get("/instances.csv?process=corrective_action").get_data(as_text=True)
    assert csv.startswith("\ufeffid,process,version") and "Kiln meter not calibrated" in csv
    assert csv.count("\n") == 3
    assert client.get("/instances?version=x").status_code == 400
    assert client.get("/instances?status=nonesuch").status_code == 400


def test_bulk_actions_act_on_each_chosen_instance_and_name_the_refused(sign_in, db):
    first, second = start_corrective_action(db), start_corrective_action(db)
    with db.transaction() as session:
        instances.suspend(session, instance_id=second, actor="admin")
    client = sign_in("admin")
    page = client.post("/instances/bulk", data={"csrf_token": _token(client), "action": "suspend",
                                                "instance": [first, second]}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert instance(db, first).status == "suspended"
    assert f"#{second} 未变更：#{second} 当前为“已暂停”：不能暂停。" in text  # the engine's reason, in Chinese
    unchanged = client.post("/instances/bulk", data={"csrf_token": _token(client), "action": "terminate",
                                                     "instance": [first]}, follow_redirects=True)
    assert 'class="flash error"' in unchanged.get_data(as_text=True)
    assert instance(db, first).status == "suspended"
    client.post("/instances/bulk", data={"csrf_token": _token(client), "action": "terminate", "instance": [first],
                                         "reason": "Raised twice"})
    assert instance(db, first).status == "terminated"
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "terminate")).one()
    assert (event.instance_id, event.actor, event.data["reason"]) == (first, "admin", "Raised twice")


def test_an_instance_in_error_is_an_incident_retried_with_corrected_data(sign_in, db):
    broken = _failing_instance(db)
    client = sign_in("admin")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'data-tile="incidents"' in dashboard and "<strong>1</strong>" in dashboard.split('data-tile="incidents"')[1]
    assert 'data-tile="incidents"' not in sign_in("body").get("/dashboard").get_data(as_text=True)
    page = client.get("/incidents").get_data(as_text=True)
    assert f'data-instance="{broken}"' in page and "<code>calc</code>" in page and "ZeroDivisionError" in page
    token = _token(client)
    bad = client.post(f"/incidents/instances/{broken}/retry", data={"csrf_token": token, "data": "{output: 4"},
                      follow_redirects=True)
    assert 'class="flash error"' in bad.get_data(as_text=True) and instance(db, broken).status == "error"
    client.post(f"/incidents/instances/{broken}/retry", data={"csrf_token": token, "data": '{"output": 4}'})
    assert instance(db, broken).status == "running" and instance(db, broken).data["ratio"] == 25
    assert open_task_names(db, broken) == ["check"]
    assert f'data-instance="{broken}"' not in client.get("/incidents").get_data(as_text=True)


def test_schedules_are_moved_switched_off_and_started_by_hand(sign_in, db):
    client = sign_in("admin")
    page = client.get("/schedules").get_data(as_text=True)
    assert 'data-process="management_review"' in page
    token = csrf_token(page)
    client.post("/schedules/management_review", data={"csrf_token": token, "next_date": "2027-11-20",
                                                      "next_time": "10:30", "period": "P1Y"})
    with db.reading() as session:
        row = session.scalars(select(StartSchedule).where(StartSchedule.process_id == "management_review")).one()
    assert row.next_run_at.isoformat() == "2027-11-20T02:30:00+00:00"  # 10:30 at the plant (UTC+8)
    started = client.post("/schedules/management_review/start", data={"csrf_token": token})
    assert started.status_code == 302 and "/instances/" in started.headers["Location"]
    with db.reading() as session:
        again = session.scalars(select(StartSchedule).where(StartSchedule.process_id == "management_review")).one()
    assert again.next_run_at == row.next_run_at  # starting now leaves the schedule as it was
    client.post("/schedules/management_review", data={"csrf_token": token, "off": "1"})
    with db.reading() as session:
        assert session.scalars(select(StartSchedule.next_run_at)
                               .where(StartSchedule.process_id == "management_review")).one() is None


def test_a_versions_diagram_counts_the_instances_waiting_and_in_error_at_each_element(sign_in, db):
    start_corrective_action(db)
    start_corrective_action(db)
    client = sign_in("admin")
    heat = client.get("/processes/corrective_action/v1/heat.json").get_json()
    assert heat["waiting"] == {"evaluate_consequences": 2} and heat["incidents"] == {}
    broken = _failing_instance(db)
    assert client.get("/processes/scripted/v1/heat.json").get_json()["incidents"] == {"calc": 1}
    page = client.get("/processes/corrective_action/v1/diagram").get_data(as_text=True)
    assert 'data-element="evaluate_consequences"' in page
    assert broken


def test_a_migration_is_previewed_per_instance_then_moves_those_that_can(sign_in, db):
    from tests.engine.test_migrations import RENAMED, SOONER, _deploy
    from tests.factories import FORM_DATA, complete

    waiting_first = start_corrective_action(db)
    analysing = start_corrective_action(db)
    complete(db, analysing, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    _deploy(db, SOONER, "Evaluate within 3 days")
    _deploy(db, RENAMED, "Root cause")
    client = sign_in("admin")
    token = _token(client)
    page = client.post("/instances/migrate/preview", data={
        "csrf_token": token, "to_version": "3", "instance": [waiting_first, analysing]}).get_data(as_text=True)
    assert f'data-instance="{waiting_first}" class="movable"' in page
    assert f'data-instance="{analysing}" class="refused"' in page
    assert 'data-reason="element_missing">analyse_cause 不在新版本中' in page
    client.post("/instances/migrate", data={"csrf_token": token, "to_version": "3", "instance": [waiting_first]})
    assert open_task_names(db, waiting_first) == ["evaluate_consequences"]
    shown = client.get(f"/instances/{waiting_first}").get_data(as_text=True)
    assert 'data-migration="1-3"' in shown
    mapped = client.post("/instances/migrate", data={"csrf_token": token, "to_version": "3", "instance": [analysing],
                                                     "mapping": "analyse_cause = analyse_root_cause"})
    assert mapped.status_code == 302 and open_task_names(db, analysing) == ["analyse_root_cause"]
    bad = client.post("/instances/migrate", data={"csrf_token": token, "to_version": "3", "instance": [analysing],
                                                  "mapping": "no equals sign"})
    assert bad.status_code == 422 and "old_id = new_id" in bad.get_data(as_text=True)


def test_a_schedule_is_never_moved_into_the_past(sign_in, db):
    client = sign_in("admin")
    token = csrf_token(client.get("/schedules").get_data(as_text=True))
    with db.reading() as session:
        before = session.scalars(select(StartSchedule.next_run_at)
                                 .where(StartSchedule.process_id == "internal_audit")).one()
    refused = client.post("/schedules/internal_audit", data={"csrf_token": token, "next_date": "2020-01-01",
                                                             "next_time": "10:30"})
    assert refused.status_code == 422 and "下次启动时间必须在将来" in refused.get_data(as_text=True)
    with db.reading() as session:
        assert session.scalars(select(StartSchedule.next_run_at)
                               .where(StartSchedule.process_id == "internal_audit")).one() == before
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "start")) is None
