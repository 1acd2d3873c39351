"""The audit trail's hash chain: intact after real work; an edited, deleted or reordered event is caught and named."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from engine.models import AuditEvent
from engine.models.audit import event_hash
from engine.read import audit_chain
from engine.services import audit
from tests.factories import analyse_data, complete, start_corrective_action, tamper_with_audit_events


def _work(db) -> int:
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    return nc


def _verify(db) -> audit_chain.ChainVerification:
    with db.reading() as session:
        return audit_chain.verify_chain(session)


def _event_ids(db) -> list[int]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent.id).order_by(AuditEvent.seq)))


def test_every_event_links_to_the_one_before_and_the_chain_verifies(db):
    _work(db)
    with db.reading() as session:
        events = list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(events, events[1:]))
    result = _verify(db)
    assert result.ok and result.events == len(events) and result.head_hash == events[-1].hash


def test_an_event_edited_in_the_database_is_named(db):
    _work(db)
    victim = _event_ids(db)[3]
    tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == victim and "altered" in result.problem


def test_an_event_edited_and_rehashed_is_named_by_the_broken_link_after_it(db):
    _work(db)
    victim = _event_ids(db)[2]
    with db.reading() as session:
        event = session.get(AuditEvent, victim)
        event.data = {"forged": True}
        forged = event_hash(event, event.prev_hash)
        session.rollback()
    tamper_with_audit_events(db, f"UPDATE audit_events SET data = '{{\"forged\": true}}', hash = '{forged}' WHERE id = {victim}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == victim and "altered and its hash recomputed" in result.problem


def test_a_deleted_event_is_named(db):
    _work(db)
    ids = _event_ids(db)
    tamper_with_audit_events(db, f"DELETE FROM audit_events WHERE id = {ids[4]}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == ids[5] and "#5–#5" in result.problem
    assert "removed" in result.problem


def test_events_cut_off_the_end_are_caught_by_the_chain_head(db):
    _work(db)
    ids = _event_ids(db)
    tamper_with_audit_events(db, f"DELETE FROM audit_events WHERE id IN ({ids[-1]}, {ids[-2]})")
    result = _verify(db)
    assert not result.ok and "the last 2 event(s)" in result.problem and result.first_bad_seq == len(ids) - 1


def test_two_events_swapped_in_order_are_named(db):
    _work(db)
    ids = _event_ids(db)
    first, second = ids[2], ids[3]
    tamper_with_audit_events(db, f"UPDATE audit_events SET seq = -1 WHERE id = {first}",
            f"UPDATE audit_events SET seq = 3 WHERE id = {second}",
            f"UPDATE audit_events SET seq = 4 WHERE id = {first}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == second and "out of order" in result.problem


def test_an_event_inserted_behind_the_applications_back_is_named(db):
    _work(db)
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, actor, action, data) "
                                "VALUES ('2026-01-01 00:00:00', 'mallory', 'complete', '{}')"))
        forged = connection.scalar(text("SELECT max(id) FROM audit_events"))
    result = _verify(db)
    assert not result.ok and result.first_bad_id == forged and "outside the chain" in result.problem


def test_large_whole_numbers_in_the_data_verify_as_the_database_keeps_them(db):
    with db.transaction() as session:
        audit.record(session, action="message_received", actor="staff_prod",
                     data={"amount": 1e23, "tonnes": 1.2345678901234568e+17, "ratio": 0.1, "whole": 2.0})
    assert _verify(db).ok


@pytest.mark.parametrize("seq", [0, -1])
def test_an_event_inserted_before_the_chain_starts_is_named(db, seq):
    _work(db)
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (seq, at, actor, action, data, prev_hash, hash) "
                                f"VALUES ({seq}, '2026-01-01 00:00:00', 'zhang.director', 'signature', "
                                "'{\"meaning\": \"approved\"}', 'x', 'y')"))
        forged = connection.scalar(text("SELECT max(id) FROM audit_events"))
    result = _verify(db)
    assert not result.ok and result.first_bad_id == forged and "outside the chain" in result.problem


def test_an_event_chained_past_the_head_behind_the_applications_back_is_named(db):
    _work(db)
    with db.reading() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1)).one()
        forged = AuditEvent(seq=last.seq + 1, at=last.at, actor="mallory", action="complete", data={},
                            instance_id=None, task_id=None)
        forged_hash = event_hash(forged, last.hash)
        seq, prev = last.seq + 1, last.hash
        session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (seq, at, actor, action, data, prev_hash, hash) "
                                f"VALUES ({seq}, '2026-01-01 00:00:00', 'mallory', 'complete', '{{}}', "
                                f"'{prev}', '{forged_hash}')"))
    result = _verify(db)
    assert not result.ok and result.first_bad_seq == seq and "past the chain's head" in result.problem


def test_events_appended_while_the_check_reads_do_not_break_it(db, monkeypatch):
    _work(db)
    real = audit_chain._break_at
    appended: list[bool] = []

    def append_then_check(session, event, previous):
        if not appended:  # someone completes a task while the auditor's check is half-way
            appended.append(True)
            with db.transaction() as writer:
                for i in range(5):
                    audit.record(writer, action="test_append", actor="staff_prod", data={"i": i})
        return real(session, event, previous)

    monkeypatch.setattr(audit_chain, "_break_at", append_then_check)
    with db.reading() as session:
        result = audit_chain.verify_chain(session, batch=2)
    assert appended and result.ok, result.problem
    assert _verify(db).events == result.events + 5


@pytest.mark.postgres
def test_concurrent_writers_on_postgresql_append_one_unbroken_chain(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent appenders are serialised by SQLite's write lock anyway")
    with db.reading() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with db.transaction() as session:
                    audit.record(session, action="test_append", actor=f"writer{n}", data={"i": i, "float": 1e20})
                    audit.record(session, action="test_append", actor=f"writer{n}", data={"i": i, "second": True})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = _verify(db)
    assert result.ok, result.problem
    assert result.events == before + 8 * 10 * 2
