"""The nonconformity register and one nonconformity's trace, read from what the processes recorded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine import clock
from engine.read import nonconformities
from engine.read.nonconformities import NonconformityFilter
from engine.read.nonconformity_trace import trace
from engine.services import timers
from tests.factories import (
    EVIDENCE,
    analyse_data,
    complete,
    complete_task,
    days_ahead,
    end_of_day,
    start_corrective_action,
)
from tests.processes.test_internal_audit import (
    acknowledge_task,
    acknowledgement,
    approved_audit,
    audit_task,
    checklist,
)


def raised_by_audit(db) -> tuple[int, int]:
    """An internal audit of production that finds clause 8.1.3 not met: (audit id, nonconformity id)."""
    audit = approved_audit(db, "production")
    complete_task(db, audit_task(db, audit, "production").id, "auditor", checklist("8.1.3"))
    complete_task(db, acknowledge_task(db, audit, "production").id, "head_prod", acknowledgement())
    [nc] = [n for n in register(db) if n.raised_by and n.raised_by.instance_id == audit]
    return audit, nc.instance_id


def register(db, **filters) -> list[nonconformities.Nonconformity]:
    now = filters.pop("now", None)
    with db.reading() as session:
        return nonconformities.register(session, where=NonconformityFilter(**filters), now=now)


def the_trace(db, nc: int):
    with db.reading() as session:
        return trace(session, nc)


def close_on_time(db, nc: int) -> None:
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "Fixed."})
    complete(db, nc, "close_nonconformity", "body2")


def test_trace_of_an_audit_finding_closed_after_one_failed_review_shows_every_step_in_order(db):
    audit, nc = raised_by_audit(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(root_cause="No calibration plan."))
    complete(db, nc, "implement_correction", "staff_prod", files=[EVIDENCE])
    complete(db, nc, "review_effectiveness", "body", {"effective": False, "review_comment": "Still drifting."})
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(root_cause="Meter badly installed."))
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body2", {"effective": True, "review_comment": "Stable for 4 weeks."})
    complete(db, nc, "close_nonconformity", "body")

    found = the_trace(db, nc)
    steps = found.steps
    assert [(s.kind, s.round, s.actor) for s in steps] == [
        ("finding", None, "head_prod"),  # raised when production acknowledged the audit's finding
        ("consequences", None, "body"),
        ("cause_analysis", 1, "head_prod"), ("correction", 1, "staff_prod"), ("effectiveness_review", 1, "body"),
        ("cause_analysis", 2, "head_prod"), ("correction", 2, "staff_prod"), ("effectiveness_review", 2, "body2"),
        ("closure", None, "body")]
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert [s.effective for s in steps if s.kind == "effectiveness_review"] == [False, True]
    finding = {line.label_en: line.value_en for line in steps[0].lines}
    assert (finding["Source"], finding["Guideline clause"]) == ("Internal audit", "8.1.3")
    causes = [{line.label_en: line.value_en for line in s.lines} for s in steps if s.kind == "cause_analysis"]
    assert [c["Root cause"] for c in causes] == ["No calibration plan.", "Meter badly installed."]
    assert causes[0]["Checked whether similar nonconformities still exist"] == "yes"
    assert causes[0]["Preventive measures"] == "Add all meters to the plan."
    assert [f.file_name for f in steps[3].evidence] == [EVIDENCE.file_name]
    assert steps[-1].evidence  # closing required the records as evidence
    record = found.nonconformity
    assert (record.status, record.review_rounds, record.raised_by.instance_id) == ("closed", 2, audit)
    assert (record.source, record.clause, record.severity, record.owner) == (
        "internal_audit", "8.1.3", "major", "staff_prod")


def test_an_open_nonconformity_ends_its_trace_with_the_step_it_waits_for(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    steps = the_trace(db, nc).steps
    assert [s.kind for s in steps] == ["finding", "consequences", "pending"]
    assert steps[-1].at is None and steps[-1].due_at is not None
    assert {line.value_en for line in steps[-1].lines} >= {"Analyse the cause and plan the correction"}


def test_an_overdue_correction_appears_on_the_timeline_and_makes_the_closure_late(db):
    nc = start_corrective_action(db, business_key="NC-LATE")
    complete(db, nc, "evaluate_consequences", "body")
    due = days_ahead(10)
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(correction_due=due))
    timers.fire_due_timers(db, end_of_day(due) + timedelta(hours=1))
    complete(db, nc, "follow_up_overdue", "head_prod",
             {"follow_up_note": "Chased.", "owner": "staff_prod", "correction_due": days_ahead(20)})
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK."})
    complete(db, nc, "close_nonconformity", "body2")

    kinds = [s.kind for s in the_trace(db, nc).steps]
    assert kinds == ["finding", "consequences", "cause_analysis", "overdue", "follow_up", "correction",
                     "effectiveness_review", "closure"]
    [row] = register(db, search="NC-LATE")
    assert (row.status, row.overdue_rounds, row.due.isoformat()) == ("closed_late", 1, days_ahead(20))


def test_register_status_filters_and_age(db):
    on_time = start_corrective_action(db, business_key="NC-ON-TIME")
    close_on_time(db, on_time)
    start_corrective_action(db, business_key="NC-WAITING", clause="8.2", source="raised_by_hand",
                            detected_on="2026-10-01")

    now = clock.now()
    assert {n.business_key: n.status for n in register(db, now=now)} == {"NC-ON-TIME": "closed",
                                                                          "NC-WAITING": "open"}
    # A month on, consequences (due in 7 days) still not evaluated: overdue, and still open.
    later = now + timedelta(days=30)
    assert [n.business_key for n in register(db, status="overdue", now=later)] == ["NC-WAITING"]
    assert [n.business_key for n in register(db, status="open", now=later)] == ["NC-WAITING"]
    assert [n.business_key for n in register(db, status="closed", now=later)] == ["NC-ON-TIME"]
    assert register(db, status="closed_late", now=later) == []
    assert [n.business_key for n in register(db, clause="8.1")] == ["NC-ON-TIME"]  # 8.1.3, not 8.2
    assert [n.business_key for n in register(db, source="raised_by_hand")] == ["NC-WAITING"]
    assert [n.business_key for n in register(db, search="on-time")] == ["NC-ON-TIME"]

    moment = datetime(2026, 12, 31, 12, tzinfo=timezone.utc)
    [row] = register(db, search="NC-WAITING", now=moment)
    assert row.age_days == 91  # from 1 October, the day it was found
    [closed] = register(db, search="NC-ON-TIME", now=moment)
    assert closed.age_days == (closed.closed_at.date() - closed.detected_on).days  # age stops at closure


def test_a_process_that_is_not_a_corrective_action_has_no_trace(db):
    audit = approved_audit(db, "production")
    assert the_trace(db, audit) is None
    with db.reading() as session:
        assert nonconformities.get(session, audit) is None
