"""Files chosen before a task is submitted are kept with its draft and join the record when it completes."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import InvalidFormData, NotPermitted
from engine.models import AuditEvent, HumanTask
from engine.read import queries
from engine.services import evidence, tasks
from tests.factories import FORM_DATA, analyse_data, complete, open_task, start_corrective_action

CERTIFICATE = evidence.Upload("calibration.pdf", b"%PDF-1.7 calibration certificate", "application/pdf")
PHOTO = evidence.Upload("meter.jpg", b"\xff\xd8\xff photo of meter 7", "image/jpeg")


def _at_closing(db) -> tuple[int, HumanTask]:
    """A nonconformity at its closing step, which needs an evidence file."""
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    return nc, open_task(db, nc, "close_nonconformity")


def _task(db, task_id: int) -> HumanTask:
    with db.reading() as session:
        return session.get(HumanTask, task_id)


def _events(db, task_id: int) -> list[AuditEvent]:
    with db.reading() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id).order_by(AuditEvent.id)))


def test_a_draft_keeps_its_files_and_completing_attaches_them(db):
    nc, task = _at_closing(db)
    with db.transaction() as session:
        tasks.save_draft(session, task_id=task.id, actor="body2", data={"closure_summary": "Half"},
                         evidence_files=[CERTIFICATE])
    drafted = _task(db, task.id)
    assert evidence.draft_values(drafted.draft) == {"closure_summary": "Half"}
    [kept] = evidence.draft_files(drafted)
    assert (kept.file_name, kept.size, kept.kept_by) == ("calibration.pdf", len(CERTIFICATE.content), "body2")
    saved = _events(db, task.id)[-1]
    assert saved.action == "draft_saved" and saved.data["files_added"][0]["file_name"] == "calibration.pdf"
    with db.reading() as session:
        assert queries.evidence_of(session, instance_id=nc) == []  # not part of the record yet

    # The step requires evidence: the file kept with the draft is it.
    complete(db, nc, "close_nonconformity", "body2", FORM_DATA["close_nonconformity"], files=[])
    with db.reading() as session:
        [attached] = queries.evidence_of(session, instance_id=nc)
    assert (attached.file_name, attached.task_id, attached.sha256) == ("calibration.pdf", task.id, kept.sha256)
    assert evidence.draft_files(_task(db, task.id)) == []


def test_files_kept_after_a_refused_submit_are_attached_with_the_next_ones(db):
    nc, task = _at_closing(db)
    with db.transaction() as session, pytest.raises(InvalidFormData):
        tasks.complete(session, task_id=task.id, actor="body2", data={}, evidence_files=[CERTIFICATE])
    with db.transaction() as session:
        tasks.keep_draft_files(session, task_id=task.id, actor="body2", evidence_files=[CERTIFICATE])
    assert [f.file_name for f in evidence.draft_files(_task(db, task.id))] == ["calibration.pdf"]
    assert _events(db, task.id)[-1].action == "draft_files_kept"

    complete(db, nc, "close_nonconformity", "body2", FORM_DATA["close_nonconformity"], files=[PHOTO])
    with db.reading() as session:
        names = [e.file_name for e in queries.evidence_of(session, instance_id=nc)]
    assert names == ["calibration.pdf", "meter.jpg"]


def test_a_kept_file_can_be_removed_before_submitting(db):
    _nc, task = _at_closing(db)
    with db.transaction() as session:
        tasks.save_draft(session, task_id=task.id, actor="body2", data={}, evidence_files=[CERTIFICATE, PHOTO])
    certificate, photo = evidence.draft_files(_task(db, task.id))
    with db.transaction() as session:
        tasks.save_draft(session, task_id=task.id, actor="body2", data={"closure_summary": "x"},
                         remove_files=[certificate.id])
    assert evidence.draft_files(_task(db, task.id)) == [photo]
    removed = _events(db, task.id)[-1]
    assert removed.data["files_removed"] == [{"file_name": "calibration.pdf", "sha256": certificate.sha256,
                                               "size": certificate.size}]


def test_unusable_files_are_not_kept_and_nothing_is_written(db):
    _nc, task = _at_closing(db)
    before = len(_events(db, task.id))
    with db.transaction() as session, pytest.raises(InvalidFormData, match="empty"):
        tasks.save_draft(session, task_id=task.id, actor="body2", data={"closure_summary": "x"},
                         evidence_files=[evidence.Upload("blank.txt", b"")])
    assert _task(db, task.id).draft is None and len(_events(db, task.id)) == before
    assert evidence.usable([CERTIFICATE, evidence.Upload("blank.txt", b"")]) == [CERTIFICATE]


def test_only_someone_who_may_do_the_task_keeps_files_with_it(db):
    _nc, task = _at_closing(db)
    for outsider in ("staff_prod", "verifier"):
        with db.transaction() as session, pytest.raises(NotPermitted):
            tasks.keep_draft_files(session, task_id=task.id, actor=outsider, evidence_files=[CERTIFICATE])
    assert evidence.draft_files(_task(db, task.id)) == []
