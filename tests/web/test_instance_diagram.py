"""The instance's BPMN diagram: its JSON (source, completed and current steps), the page's viewer, the vendored files."""
from __future__ import annotations

import hashlib

from engine.config import PROJECT_ROOT
from engine.models import ProcessDefinition, ProcessInstance
from tests.factories import analyse_data, complete, start_corrective_action

VENDOR = PROJECT_ROOT / "webui" / "static" / "vendor" / "bpmn-js"
VIEWER = "bpmn-navigated-viewer.production.min.js"


def test_the_diagram_lists_the_steps_done_and_the_open_task_on_the_deployed_source(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    response = sign_in("staff_prod").get(f"/instances/{nc}/diagram")
    assert response.status_code == 200
    diagram = response.get_json()
    assert {"start", "evaluate_consequences", "analyse_cause"} <= set(diagram["completed"])
    assert "implement_correction" not in diagram["completed"]
    # The open task, and the overdue timer on its boundary that waits beside it.
    assert set(diagram["current"]) == {"implement_correction", "correction_overdue"}
    with db.reading() as session:
        definition = session.get(ProcessDefinition, session.get(ProcessInstance, nc).definition_id)
        assert diagram["bpmn"] == definition.bpmn_source
    assert diagram["bpmn"] == (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")


def test_the_diagram_is_for_those_who_may_see_the_instance(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    assert sign_in("auditor").get(f"/instances/{nc}/diagram").status_code == 200
    assert sign_in("staff_energy").get(f"/instances/{nc}/diagram").status_code == 403
    assert sign_in("auditor").get("/instances/9999/diagram").status_code == 404


def test_the_diagram_is_not_served_signed_out(app, db):
    nc = start_corrective_action(db, actor="staff_prod")
    response = app.test_client().get(f"/instances/{nc}/diagram")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_instance_page_has_the_diagram_container_and_the_vendored_viewer(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    client = sign_in("staff_prod")
    page = client.get(f"/instances/{nc}").get_data(as_text=True)
    assert 'id="diagram"' in page and f'data-url="/instances/{nc}/diagram"' in page
    assert 'data-failed="流程图未能加载。"' in page  # the failure message, in the page's language
    for static in (f"/static/vendor/bpmn-js/{VIEWER}", "/static/diagram.js",
                   "/static/vendor/bpmn-js/diagram-js.css", "/static/vendor/bpmn-js/bpmn-js.css"):
        assert static in page
        served = client.get(static)
        assert served.status_code == 200, static
        served.close()


def test_the_vendored_files_match_the_sha256_in_version():
    lines = (VENDOR / "VERSION").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("bpmn-js ")
    listed = dict(reversed(line.split()) for line in lines[1:] if line and not line.startswith("#"))
    assert set(listed) == {"LICENSE", VIEWER, "bpmn-js.css", "diagram-js.css"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert lines[0].split()[1] in (VENDOR / VIEWER).read_text(encoding="utf-8")[:200]  # the banner names the version


def test_the_bpmn_io_watermark_the_licence_requires_is_not_hidden_by_our_styles():
    assert "watermark must stay fully visible" in (VENDOR / "LICENSE").read_text(encoding="utf-8")
    ours = (PROJECT_ROOT / "webui" / "static" / "carbonflow.css").read_text(encoding="utf-8")
    assert "bjs-powered-by" not in ours
