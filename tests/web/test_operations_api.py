"""Operations over the API as an admin's script uses them: instances, bulk actions, migration, incidents, schedules."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.models import AuditEvent
from tests.engine.test_migrations import RENAMED, SOONER, _deploy
from tests.factories import FORM_DATA, complete, instance, open_task_names, start_corrective_action
from tests.web.test_operations import _failing_instance
from tests.web.conftest import bearer_token
from webui.extensions import KEY


def _client(app, username: str = "admin"):
    token = bearer_token(app, app.extensions[KEY].db, username)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _events(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_instances_are_listed_filtered_and_acted_on_in_bulk(app, db):
    first = start_corrective_action(db, business_key="NC-API-1", title="Kiln meter")
    second = start_corrective_action(db, business_key="NC-API-2", title="Boiler log missing")
    api = _client(app)
    page = api.get("/api/v1/admin/instances?process=corrective_action&q=kiln").get_json()
    assert [i["id"] for i in page["instances"]] == [first] and page["by_status"]["running"] == 1
    assert api.get("/api/v1/admin/instances?status=nonesuch").status_code == 422
    done = api.post("/api/v1/admin/instances/actions", json={"action": "suspend", "instance_ids": [first, second]})
    assert [o["done"] for o in done.get_json()] == [True, True]
    again = api.post("/api/v1/admin/instances/actions", json={"action": "suspend", "instance_ids": [first]}).get_json()
    assert again[0]["done"] is False and "cannot suspend" in again[0]["reasons"][0]
    before = _events(db)
    no_reason = api.post("/api/v1/admin/instances/actions", json={"action": "terminate", "instance_ids": [first]})
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert _events(db) == before and instance(db, first).status == "suspended"
    assert _client(app, "body").get("/api/v1/admin/instances").status_code == 403


def test_a_migration_is_previewed_and_made_over_the_api(app, db):
    movable = start_corrective_action(db)
    stuck = start_corrective_action(db)
    complete(db, stuck, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    _deploy(db, SOONER, "Evaluate within 3 days")
    _deploy(db, RENAMED, "Root cause")
    api = _client(app)
    previews = api.post("/api/v1/admin/instances/migration-preview",
                        json={"instance_ids": [movable, stuck], "to_version": 3}).get_json()
    assert [p["possible"] for p in previews] == [True, False]
    assert previews[1]["moves"] == [{"element": "analyse_cause", "kind": "task", "to": None,
                                     "refusal": "analyse_cause is not in the new version: map it to an element that is"}]
    refused = api.post("/api/v1/admin/instances/migrations", json={"instance_ids": [stuck], "to_version": 3})
    assert refused.status_code == 409 and "analyse_cause" in refused.get_json()["message"]
    moved = api.post("/api/v1/admin/instances/migrations", json={
        "instance_ids": [movable, stuck], "to_version": 3, "mapping": {"analyse_cause": "analyse_root_cause"}})
    assert [o["done"] for o in moved.get_json()] == [True, True]
    assert open_task_names(db, stuck) == ["analyse_root_cause"]


def test_incidents_are_listed_and_retried_with_corrected_data(app, db):
    broken = _failing_instance(db)
    api = _client(app)
    [incident] = api.get("/api/v1/admin/incidents").get_json()
    assert (incident["type"], incident["instance_id"], incident["element"]) == ("instance", broken, "calc")
    bad = api.post(f"/api/v1/admin/instances/{broken}/retry", json={"data": "output=4"})
    assert bad.status_code == 422 and instance(db, broken).status == "error"
    fixed = api.post(f"/api/v1/admin/instances/{broken}/retry", json={"data": {"output": 4}}).get_json()
    assert fixed["done"] and instance(db, broken).status == "running"
    assert api.get("/api/v1/admin/incidents").get_json() == []
    assert api.post("/api/v1/admin/jobs/999/retry").status_code == 404


def test_schedules_are_changed_and_started_over_the_api(app, db):
    api = _client(app)
    listed = {s["process_id"]: s for s in api.get("/api/v1/admin/schedules").get_json()}
    assert listed["management_review"]["period"] == "P1Y"
    moved = api.patch("/api/v1/admin/schedules/management_review", json={"next_run_at": "2027-11-20T10:30:00+08:00"})
    assert moved.get_json()["next_run_at"] == "2027-11-20T02:30:00+00:00"
    assert api.patch("/api/v1/admin/schedules/management_review", json={"next_run_at": "2027-11-20T10:30:00"}
                     ).status_code == 422  # no UTC offset
    assert api.patch("/api/v1/admin/schedules/management_review", json={"period": "often"}).status_code == 422
    started = api.post("/api/v1/admin/schedules/management_review/start")
    assert started.status_code == 201 and instance(db, started.get_json()["instance_id"]).process_id == \
        "management_review"
    assert api.post("/api/v1/admin/schedules/corrective_action/start").status_code == 404
