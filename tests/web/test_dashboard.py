"""The dashboard page: figures and charts for those who oversee the plant, one's own inbox for everyone else."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from engine import clock
from tests.factories import complete, start_corrective_action, seed_open_tasks
from tests.web.conftest import csrf_token


def _bars(html: str) -> dict[str, int]:
    return {unescape(key): int(value) for key, value in re.findall(r'<g class="bar" data-key="([^"]+)" data-value="(\d+)">', html)}


def test_an_overseer_sees_the_plant_with_charts_overdue_items_and_cycles(db, sign_in):
    nc = start_corrective_action(db, business_key="NC-DASH")
    start_corrective_action(db, business_key="NC-DASH-2")
    complete(db, nc, "evaluate_consequences", "body")
    client = sign_in("gm")
    with clock.frozen_at(clock.now() + timedelta(days=30)):
        html = client.get("/dashboard").get_data(as_text=True)
    assert _bars(html) == {"carbon_body": 1, "department_head": 1, "corrective_action": 2,
                           "< 30": 0, "30–89": 2, "90–179": 0, "≥ 180": 0}  # found 20 November
    assert "<svg" in html and "<title" in html  # charts, with text for screen readers
    overdue = html.split('class="tasks overdue-list cards"', 1)[1].split("</table>", 1)[0]
    assert overdue.count("<tr data-task=") == 2 and "NC-DASH" in overdue
    assert re.search(r'data-process="internal_audit" data-state="(missed|due|running|completed)"', html)
    assert "仪表板" in html  # Chinese by default


def test_staff_see_only_their_inbox_figures(db, sign_in):
    nc = start_corrective_action(db, business_key="NC-DASH")
    complete(db, nc, "evaluate_consequences", "body")
    html = sign_in("head_prod").get("/dashboard").get_data(as_text=True)
    assert _bars(html) == {"department_head": 1, "corrective_action": 1}
    assert "data-process=" not in html and "/audit/nonconformities" not in html


def test_the_dashboard_reads_in_english_after_the_switch(db, sign_in):
    client = sign_in("body")
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Open tasks by role" in html and "Cycles of" in html


def test_signed_out_the_dashboard_sends_to_sign_in(app):
    response = app.test_client().get("/dashboard")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_the_overdue_list_names_what_each_instance_is_about(db, sign_in):
    start_corrective_action(db, business_key="NC-DASH", title="Stack analyser drifting")
    client = sign_in("gm")
    with clock.frozen_at(clock.now() + timedelta(days=30)):
        html = client.get("/dashboard").get_data(as_text=True)
    overdue = html.split('class="tasks overdue-list cards"', 1)[1].split("</table>", 1)[0]
    assert '<span class="instance-title">Stack analyser drifting</span>' in overdue


def test_ones_own_figures_stop_at_99_plus_and_the_plant_counts_every_task(db, sign_in):
    seed_open_tasks(db, 120, role="carbon_staff")
    own = sign_in("staff_prod").get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-tile="open"[^>]*><strong>99\+</strong>', own)
    assert re.search(r'data-tile="overdue"[^>]*><strong>33</strong>', own)  # due from 10 hours ago to now, three an hour
    assert "data-capped" in own
    plant = sign_in("gm").get("/dashboard").get_data(as_text=True)
    assert re.search(r'data-tile="open"[^>]*><strong>121</strong>', plant)  # and the corrective action's own
    assert _bars(plant)["carbon_staff"] == 120 and "data-capped" not in plant
