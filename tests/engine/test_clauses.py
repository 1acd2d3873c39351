"""The clause report: which deployed task covers each guideline clause, which instances hold its records."""
from __future__ import annotations

from datetime import timedelta

from engine import clock
from engine.read import clauses
from tests.factories import analyse_data, complete, complete_task, start_corrective_action
from tests.processes.test_internal_audit import (
    acknowledge_task,
    acknowledgement,
    approved_audit,
    audit_task,
    checklist,
    finish,
)


def _report(db, **period):
    with db.reading() as session:
        return clauses.coverage(session, **period)


def _row(report, label):
    return next(r for r in report["clauses"] if r["clause"] == label)


def test_the_clause_map_spans_ranges_and_lists():
    by_label = {c.label: c for c in clauses.clause_map()}
    assert by_label["5.1.1–5.1.3"].numbers == ("5.1.1", "5.1.2", "5.1.3")
    assert by_label["8.4.1 a–e, 8.4.2"].numbers == ("8.4.1", "8.4.2")
    assert by_label["10.2 a–d"].numbers == ("10.2",)
    assert [c.label for c in clauses.clause_map() if c.records_required] == [
        "6.1.3 a–b", "6.3.3", "7.1.1–7.1.2", "7.4.1–7.4.3", "8.4.1 a–e, 8.4.2", "9.1.3", "9.2.3", "9.3.2", "10.3"]


def test_every_record_clause_is_covered_by_a_deployed_task_and_every_task_clause_exists(db):
    report = _report(db)
    assert report["summary"]["records_required_uncovered"] == []
    assert report["summary"]["uncovered"] == []  # beyond the record clauses: every cycle is modelled
    assert report["unknown_task_clauses"] == []
    covered = _row(report, "10.2 a–d")["covered_by"]
    assert {(c["process_id"], c["task"]) for c in covered} >= {
        ("corrective_action", "evaluate_consequences"), ("corrective_action", "review_effectiveness")}


def test_a_completed_instance_is_listed_as_the_record_of_its_clauses_within_the_period(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    assert _row(_report(db), "10.3")["records"] == []  # still running: not a record yet
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    complete(db, nc, "close_nonconformity", "body2")

    records = _row(_report(db), "10.3")["records"]
    assert [(r["instance_id"], r["process_id"], r["business_key"]) for r in records] == [
        (nc, "corrective_action", "NC-1")]
    assert len(_row(_report(db), "10.2 a–d")["records"][0]["tasks"]) == 4
    tomorrow = clock.now() + timedelta(days=1)
    assert _row(_report(db, since=tomorrow), "10.3")["records"] == []
    assert _row(_report(db, until=tomorrow), "10.3")["records"] != []


def test_records_by_clause_hold_an_audit_with_its_nonconformities_for_the_period(db):
    audit = approved_audit(db, "production")
    complete_task(db, audit_task(db, audit, "production").id, "auditor", checklist("8.1.3"))
    complete_task(db, acknowledge_task(db, audit, "production").id, "head_prod", acknowledgement())
    with db.reading() as session:
        assert next(c for c in clauses.records_by_clause(session) if c.clause.label == "9.2.3").records == ()
    finish(db, audit)  # the records are filed
    now = clock.now()
    with db.reading() as session:
        held = {c.clause.label: c.records for c in clauses.records_by_clause(session, since=now - timedelta(days=1),
                                                                       until=now + timedelta(days=1))}
        later = clauses.records_by_clause(session, since=now + timedelta(days=1))
    assert list(held) == [c.label for c in clauses.clause_map() if c.records_required]
    [record] = held["9.2.3"]
    assert (record.instance_id, record.process_id, record.instance_status) == (audit, "internal_audit", "completed")
    # The programme, its approval, the results, the acknowledgement, the report ... and the filing.
    assert [s.completed_by for s in record.steps] == ["auditor", "body", "auditor", "head_prod", "auditor", "gm",
                                                      "docs"]
    [case] = record.raised
    assert case.status == "running"
    assert all(not c.records for c in later)
