"""The dashboard's figures: open work by role and process, what is overdue, open nonconformities, the year's cycles."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from engine import clock
from engine.read import dashboard
from tests.factories import analyse_data, complete, start_corrective_action
from tests.processes.test_internal_audit import start_audit

PLANT = ZoneInfo("Asia/Shanghai")


def snapshot(db, actor: str, now: datetime | None = None) -> dashboard.Dashboard:
    with db.reading() as session:
        return dashboard.snapshot(session, actor, zone=PLANT, now=now)


def bars(found: list[dashboard.Bar]) -> dict[str | None, int]:
    return {bar.key: bar.value for bar in found}


def test_overseers_see_open_tasks_of_the_whole_plant_by_role_and_process(db):
    first = start_corrective_action(db, business_key="NC-1")
    start_corrective_action(db, business_key="NC-2", department="energy")
    complete(db, first, "evaluate_consequences", "body")  # on to the production head
    start_audit(db)

    seen = snapshot(db, "gm")
    assert seen.plant_wide and seen.open_tasks == 3
    assert bars(seen.tasks_by_process) == {"corrective_action": 2, "internal_audit": 1}
    assert bars(seen.tasks_by_role) == {"carbon_body": 1, "department_head": 1, "internal_auditor": 1}
    assert seen.tasks_by_process[0].key == "corrective_action"  # largest first


def test_staff_see_the_figures_of_their_own_inbox(db):
    first = start_corrective_action(db, business_key="NC-1")
    start_corrective_action(db, business_key="NC-2", department="energy")
    complete(db, first, "evaluate_consequences", "body")

    head = snapshot(db, "head_prod")
    assert not head.plant_wide and head.open_tasks == 1
    assert bars(head.tasks_by_process) == {"corrective_action": 1}
    assert head.cycles == [] and head.nonconformities_by_age == []  # the plant's registers are for overseers
    assert snapshot(db, "staff_energy").open_tasks == 0


def test_overdue_items_are_counted_and_listed_oldest_first_against_now(db):
    start_corrective_action(db, business_key="NC-OLD")
    later = clock.now() + timedelta(days=3)
    with clock.frozen_at(later):
        start_corrective_action(db, business_key="NC-NEW")
    assert snapshot(db, "body").overdue_count == 0
    month_on = clock.now() + timedelta(days=30)  # consequences were due within 7 days
    seen = snapshot(db, "body", now=month_on)
    assert seen.overdue_count == 2
    assert [item.business_key for item in seen.overdue] == ["NC-OLD", "NC-NEW"]
    assert seen.overdue[0].days_overdue in (22, 23) and seen.overdue[0].role == "carbon_body"
    assert seen.overdue_nonconformities == 2


def test_open_nonconformities_by_age_and_severity(db):
    start_corrective_action(db, business_key="NC-A", detected_on="2026-12-01")
    start_corrective_action(db, business_key="NC-B", detected_on="2026-09-01")
    closed = start_corrective_action(db, business_key="NC-C", detected_on="2026-01-01")
    for step, who in (("evaluate_consequences", "body"), ("analyse_cause", "head_prod"),
                      ("implement_correction", "staff_prod"), ("review_effectiveness", "body"),
                      ("close_nonconformity", "body2")):
        complete(db, closed, step, who, _answers(step))
    seen = snapshot(db, "verifier", now=datetime(2026, 12, 20, tzinfo=timezone.utc))
    assert seen.open_nonconformities == 2
    assert bars(seen.nonconformities_by_age) == {"< 30": 1, "30–89": 0, "90–179": 1, "≥ 180": 0}
    assert bars(seen.nonconformities_by_severity) == {None: 2}  # neither assessed yet


def test_this_years_cycles_show_whether_they_ran(db):
    start_audit(db)
    november = datetime(2026, 11, 1, tzinfo=PLANT)
    cycles = {c.process_id: c for c in snapshot(db, "admin", now=november).cycles}
    assert {"internal_audit", "management_review", "emissions_accounting"} <= set(cycles)
    audit = cycles["internal_audit"]
    assert (audit.state, audit.instance_status) == ("running", "running")
    assert audit.due_at.astimezone(PLANT).date().isoformat() == "2026-03-01"  # yearly on 1 March
    assert cycles["emissions_accounting"].state == "missed"  # due 15 January, never started
    assert cycles["management_review"].state == "due"  # due 1 December: not yet


def _answers(step: str) -> dict | None:
    return {"analyse_cause": analyse_data(),
            "review_effectiveness": {"effective": True, "review_comment": "OK."}}.get(step)
