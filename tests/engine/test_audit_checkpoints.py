"""Checkpoints of the audit chain: a check continues from the last intact one and reads only the events after it;
an edit after a checkpoint, to the checkpoint or to the event it vouches for is caught; an edit before it only by
the whole check."""
from __future__ import annotations

import threading
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent
from engine.models.audit import event_hash
from engine.read import audit_chain
from engine.read.exports import audit_trail
from engine.read.exports.period import ReportingPeriod
from engine.services import audit
from tests.factories import analyse_data, complete, start_corrective_action, tamper_with_audit_events


def _work(db) -> int:
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    return nc


def _append(db, count: int, actor: str = "staff_prod") -> None:
    with db.transaction() as session:
        for i in range(count):
            audit.record(session, action="test_append", actor=actor, data={"i": i})


def _verify(db, *, full: bool = False) -> audit_chain.ChainVerification:
    with db.reading() as session:
        return audit_chain.verify_chain(session, full=full)


def _check_and_record(db, *, full: bool = False, actor: str = "verifier"):
    """A check as the verify page makes it: read, then record an intact result as a checkpoint."""
    result = _verify(db, full=full)
    with db.transaction() as session:
        recorded = audit.record_checkpoint(session, verified=result, actor=actor)
    return result, recorded


def _seqs_read(monkeypatch) -> list[int]:
    """The sequence numbers of the events the chain walk reads, from now on."""
    read: list[int] = []
    real = audit_chain._break_at

    def spy(session, event, previous):
        read.append(event.seq)
        return real(session, event, previous)

    monkeypatch.setattr(audit_chain, "_break_at", spy)
    return read


def _event(db, seq: int) -> AuditEvent:
    with db.reading() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.seq == seq)).one()


def _rehashed_actor(db, seq: int) -> tuple[int, str]:
    """(id, hash) of event #seq as it would read with another actor and its hash recomputed."""
    event = _event(db, seq)
    event.actor = "mallory"
    return event.id, event_hash(event, event.prev_hash)


def test_a_checkpoint_names_the_last_event_verified_the_count_and_where_it_continued_from(db):
    _work(db)
    first, recorded = _check_and_record(db, actor="verifier")
    assert first.ok and first.checkpoint is None and recorded is not None
    assert (recorded.action, recorded.actor, recorded.seq) == ("chain_verified", "verifier", first.head_seq + 1)
    assert recorded.data == {"seq": first.head_seq, "id": first.head_id, "hash": first.head_hash,
                             "verified": first.events, "continued_from": None}
    _append(db, 3)
    second, again = _check_and_record(db, actor="system")
    assert second.ok and second.checkpoint.event_id == recorded.id
    assert second.checkpoint.through_seq == first.head_seq
    assert second.events == 1 + 3  # the checkpoint itself, then the new events
    assert again.data["continued_from"] == {"id": recorded.id, "seq": recorded.seq}
    assert again.data["seq"] == second.head_seq == recorded.seq + 3


def test_a_second_check_with_no_new_events_reads_only_the_checkpoint(db, monkeypatch):
    _work(db)
    _append(db, 50)
    _first, recorded = _check_and_record(db)
    read = _seqs_read(monkeypatch)
    result, again = _check_and_record(db)
    assert result.ok and result.events == 1 and read == [recorded.seq]
    assert again is None  # nothing new to vouch for: a reload adds no event
    read.clear()
    assert _verify(db).events == 1 and read == [recorded.seq]


def test_a_check_after_new_events_reads_only_them(db, monkeypatch):
    _work(db)
    _first, recorded = _check_and_record(db)
    _append(db, 7)
    read = _seqs_read(monkeypatch)
    result = _verify(db)
    assert result.ok and read == list(range(recorded.seq, recorded.seq + 8))
    read.clear()
    whole = _verify(db, full=True)
    assert whole.ok and whole.checkpoint is None and read == list(range(1, recorded.seq + 8))


def test_an_edit_after_the_checkpoint_is_caught_by_the_incremental_check(db):
    _work(db)
    _check_and_record(db)
    _append(db, 5)
    victim = _event(db, _verify(db).head_seq - 2)
    tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim.id}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == victim.id and "altered" in result.problem
    _result, recorded = _check_and_record(db)
    assert recorded is None  # a broken check vouches for nothing


def test_an_edit_before_the_checkpoint_is_caught_by_the_whole_check_only(db):
    _work(db)
    complete(db, start_corrective_action(db), "evaluate_consequences", "body")
    _first, recorded = _check_and_record(db)
    victim = _event(db, 3)
    tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim.id}")
    # The documented trade-off: the incremental check does not read an already verified segment again.
    assert _verify(db).ok
    whole = _verify(db, full=True)
    assert not whole.ok and whole.first_bad_id == victim.id and "altered" in whole.problem
    assert recorded.data["seq"] > 3


@pytest.mark.parametrize("rehash", [False, True])
def test_an_edit_to_the_event_the_checkpoint_names_is_caught_by_the_incremental_check(db, rehash):
    _work(db)
    first, _recorded = _check_and_record(db)
    _append(db, 2)
    if rehash:
        victim, forged = _rehashed_actor(db, first.head_seq)
        tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory', hash = '{forged}' WHERE id = {victim}")
    else:
        victim = first.head_id
        tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == victim and result.events == 0
    assert ("hash recomputed" in result.problem) == rehash and "altered" in result.problem
    assert not _verify(db, full=True).ok


def test_a_chain_rewritten_and_rehashed_from_the_named_event_on_is_caught_by_both_checks(db):
    """Consistent in itself, the rewritten chain no longer agrees with the hash the checkpoint recorded."""
    _work(db)
    first, recorded = _check_and_record(db)
    _append(db, 2)
    with db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.seq >= first.head_seq)
                                 .order_by(AuditEvent.seq)).all()
    events[0].actor = "mallory"
    statements, previous = [], events[0].prev_hash
    for event in events:
        event.prev_hash, event.hash = previous, event_hash(event, previous)
        statements.append(f"UPDATE audit_events SET actor = '{event.actor}', prev_hash = '{event.prev_hash}', "
                          f"hash = '{event.hash}' WHERE id = {event.id}")
        previous = event.hash
    statements.append(f"UPDATE audit_chain_head SET hash = '{previous}' WHERE id = 1")
    tamper_with_audit_events(db, *statements)
    result = _verify(db)
    assert not result.ok and result.first_bad_id == first.head_id and "hash recomputed" in result.problem
    whole = _verify(db, full=True)
    assert not whole.ok and whole.first_bad_id == first.head_id and "hash recomputed" in whole.problem
    assert whole.events == recorded.seq - 1  # every event before the checkpoint checked out


def test_the_event_the_checkpoint_names_removed_is_caught_by_the_incremental_check(db):
    _work(db)
    first, _recorded = _check_and_record(db)
    tamper_with_audit_events(db, f"DELETE FROM audit_events WHERE id = {first.head_id}")
    result = _verify(db)
    assert not result.ok and result.first_bad_seq == first.head_seq and "removed" in result.problem


@pytest.mark.parametrize("rehash", [False, True])
def test_an_edit_to_the_checkpoint_event_is_caught_by_the_incremental_check(db, rehash):
    _work(db)
    _first, recorded = _check_and_record(db)
    _append(db, 2)
    if rehash:
        _victim, forged = _rehashed_actor(db, recorded.seq)
        tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory', hash = '{forged}' WHERE id = {recorded.id}")
    else:
        tamper_with_audit_events(db, f"UPDATE audit_events SET actor = 'mallory' WHERE id = {recorded.id}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == recorded.id and "altered" in result.problem


@pytest.mark.parametrize("rehash", [False, True])
def test_a_checkpoint_edited_to_vouch_for_an_edited_event_is_caught(db, rehash):
    """Moving a checkpoint past an edited event, so as to skip it, breaks the checkpoint's own hash."""
    _work(db)
    result = _verify(db)
    _append(db, 3)  # written while the check was being made: the checkpoint names the head it read
    with db.transaction() as session:
        recorded = audit.record_checkpoint(session, verified=result, actor="verifier")
    _append(db, 1)
    victim, skipped_to = _event(db, result.head_seq + 2), _event(db, result.head_seq + 3)
    forged = {"seq": skipped_to.seq, "id": skipped_to.id, "hash": skipped_to.hash, "verified": result.events,
              "continued_from": None}
    data = str(forged).replace("'", '"').replace("None", "null")
    statements = [f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim.id}",
                  f"UPDATE audit_events SET data = '{data}' WHERE id = {recorded.id}"]
    if rehash:
        checkpoint = _event(db, recorded.seq)
        checkpoint.data = forged
        statements.append(f"UPDATE audit_events SET hash = '{event_hash(checkpoint, checkpoint.prev_hash)}' "
                          f"WHERE id = {recorded.id}")
    tamper_with_audit_events(db, *statements)
    found = _verify(db)
    assert not found.ok and found.checkpoint.through_seq == skipped_to.seq
    assert found.first_bad_id == recorded.id and "altered" in found.problem
    assert not _verify(db, full=True).ok


def test_a_checkpoint_edited_to_name_a_later_event_than_itself_is_caught(db):
    """Else the check would start past the checkpoint and never read it."""
    _work(db)
    _first, recorded = _check_and_record(db)
    _append(db, 2)
    last = _event(db, recorded.seq + 2)
    data = f'{{"seq": {last.seq}, "id": {last.id}, "hash": "{last.hash}", "verified": 1, "continued_from": null}}'
    tamper_with_audit_events(db, f"UPDATE audit_events SET data = '{data}' WHERE id = {recorded.id}")
    result = _verify(db)
    assert not result.ok and result.first_bad_id == recorded.id and "no longer names an earlier event" in result.problem


def test_a_removed_checkpoint_is_caught_from_the_one_before_it(db):
    _work(db)
    _first, old = _check_and_record(db)
    _append(db, 4)
    _second, recorded = _check_and_record(db)
    tamper_with_audit_events(db, f"DELETE FROM audit_events WHERE id = {recorded.id}")
    result = _verify(db)
    assert not result.ok and result.checkpoint.event_id == old.id and "removed" in result.problem
    assert result.first_bad_seq is None or result.first_bad_seq >= recorded.seq


def test_a_checkpoint_of_a_chain_cut_at_its_end_is_caught(db):
    _work(db)
    _first, recorded = _check_and_record(db)
    _append(db, 3)
    with db.reading() as session:
        last = session.scalar(select(func.max(AuditEvent.seq)))
    tamper_with_audit_events(db, f"DELETE FROM audit_events WHERE seq = {last}")
    result = _verify(db)
    assert not result.ok and "the last 1 event(s)" in result.problem and result.checkpoint.event_id == recorded.id


def test_an_export_states_the_verification_up_to_its_head_and_reads_only_the_new_segment(db, monkeypatch):
    nc = _work(db)
    first, recorded = _check_and_record(db)
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    read = _seqs_read(monkeypatch)
    period = ReportingPeriod(None, None, ZoneInfo("Asia/Shanghai"))
    with db.reading() as session:
        head = audit_chain.verify_chain(session).head_seq
        read.clear()
        english = dict(audit_trail.audit_trail_table(session, period=period, instance_id=nc, by="verifier",
                                                     lang="en").statement)
        chinese = dict(audit_trail.audit_trail_table(session, period=period, instance_id=nc, by="verifier",
                                                     lang="zh").statement)
    after = head - first.head_seq
    assert read == list(range(first.head_seq + 1, head + 1))  # once for both files: one check per session
    line = english["Audit chain"]
    assert line.startswith("verified intact at ")
    assert f"up to event #{first.head_seq} (checkpoint of {recorded.at.isoformat(timespec='seconds')}), " \
           f"{after} events after it verified now, head #{head} sha256 " in line
    assert chinese["审计链校验"].startswith("完整") and f"事件 #{first.head_seq} 及之前已校验" in chinese["审计链校验"]
    assert f"其后 {after} 条事件本次校验" in chinese["审计链校验"]


def test_an_export_with_no_checkpoint_yet_states_the_whole_check(db):
    nc = _work(db)
    period = ReportingPeriod(None, None, ZoneInfo("Asia/Shanghai"))
    with db.reading() as session:
        statement = dict(audit_trail.audit_trail_table(session, period=period, instance_id=nc, by="verifier",
                                                       lang="en").statement)
    whole = _verify(db, full=True)
    assert statement["Audit chain"].startswith("verified intact at")
    assert f": {whole.events} events, head #{whole.head_seq} sha256 {whole.head_hash}" in statement["Audit chain"]


def test_a_whole_check_is_recorded_even_with_nothing_new(db):
    _work(db)
    _check_and_record(db)
    whole, recorded = _check_and_record(db, full=True)
    assert whole.ok and whole.checkpoint is None and recorded.data["continued_from"] is None
    assert recorded.data["verified"] == whole.events == whole.head_seq


def test_verifiers_and_writers_at_once_leave_one_unbroken_chain(db):
    _work(db)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def verifier(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                result, _recorded = _check_and_record(db, actor=f"verifier{n}")
                assert result.ok, result.problem
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                _append(db, 2, actor=f"writer{n}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=verifier, args=(n,)) for n in range(3)]
    threads += [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    whole, incremental = _verify(db, full=True), _verify(db)
    assert whole.ok and incremental.ok, (whole.problem, incremental.problem)
    with db.reading() as session:
        checkpoints = session.scalars(select(AuditEvent).where(AuditEvent.action == "chain_verified")
                                      .order_by(AuditEvent.seq)).all()
    assert checkpoints and all(c.data["seq"] < c.seq for c in checkpoints)
