"""The audit trail: one event per state change, in the same transaction, never edited."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidFormData
from engine.models import AuditEvent
from engine.read import queries
from tests.factories import analyse_data, complete, start_corrective_action


def test_a_full_run_leaves_one_event_per_change_in_order(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    with db.reading() as session:
        events = queries.audit_events(session, instance_id=nc)
    assert [(e.action, e.actor) for e in events] == [
        ("start", "staff_prod"), ("complete", "body"), ("complete", "head_prod")]
    assert events[2].data["data"]["owner"] == "staff_prod"
    assert events[2].data["form_key"] == "corrective_action.analyse_cause"
    assert [e.at for e in events] == sorted(e.at for e in events)


def test_the_application_cannot_edit_or_delete_an_audit_event(db):
    start_corrective_action(db)
    with pytest.raises(RuntimeError, match="append-only"), db.transaction() as session:
        event = session.scalars(select(AuditEvent)).first()
        event.actor = "someone else"
    with pytest.raises(RuntimeError, match="append-only"), db.transaction() as session:
        session.delete(session.scalars(select(AuditEvent)).first())
    with db.reading() as session:
        assert session.scalars(select(AuditEvent)).first().actor != "someone else"
        assert session.scalar(select(func.count()).select_from(AuditEvent)) >= 2


def test_a_failed_use_case_writes_no_audit_event(db):
    nc = start_corrective_action(db)
    with db.reading() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    with pytest.raises(InvalidFormData):
        complete(db, nc, "evaluate_consequences", "body", {"severity": "apocalyptic"})
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_the_database_refuses_to_change_or_delete_audit_events_even_without_the_orm(db):
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError
    start_corrective_action(db)
    for statement in (update(AuditEvent).values(actor="mallory"), delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"), db.transaction() as session:
            session.execute(statement)
    with db.reading() as session:
        assert "mallory" not in set(session.scalars(select(AuditEvent.actor)))


def test_postgresql_refuses_to_truncate_the_records(db):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    start_corrective_action(db)
    for table in ("audit_events", "evidence", "evidence_blobs", "instance_links"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {table} CASCADE"))
