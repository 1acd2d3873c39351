"""Evidence files on task completions: stored with their SHA-256, read back checked, never altered."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.errors import InvalidFormData, NotPermitted
from engine.read import access, queries, records
from engine.services import evidence, tasks
from tests.factories import (
    FORM_DATA,
    analyse_data,
    complete,
    open_task,
    open_task_names,
    start_corrective_action,
)

CERTIFICATE = evidence.Upload("C:\\scans\\calibration-2026-118.pdf", b"%PDF-1.7 calibration certificate",
                              "application/pdf")
PHOTO = evidence.Upload("meter.jpg", b"\xff\xd8\xff photo of meter 7", "image/jpeg")


def _at_implementation(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    return nc, open_task(db, nc, "implement_correction")


def _implement(db, task_id, files):
    with db.transaction() as session:
        return tasks.complete(session, task_id=task_id, actor="staff_prod",
                              data=FORM_DATA["implement_correction"], evidence_files=files)


def test_files_attached_to_a_completion_are_kept_with_their_sha256(db):
    nc, task = _at_implementation(db)
    _implement(db, task.id, [CERTIFICATE, PHOTO])

    with db.reading() as session:
        rows = queries.evidence_of(session, instance_id=nc)
        assert [(r.file_name, r.size, r.uploaded_by, r.task_id) for r in rows] == [
            ("calibration-2026-118.pdf", len(CERTIFICATE.content), "staff_prod", task.id),
            ("meter.jpg", len(PHOTO.content), "staff_prod", task.id)]
        assert rows[0].sha256 == hashlib.sha256(CERTIFICATE.content).hexdigest()
    with db.transaction() as session:
        row, content = evidence.read(session, rows[0].id, "auditor")
        assert content == CERTIFICATE.content
    with db.reading() as session:
        shown = records.instance_record(session, queries.get_instance(session, nc), detail=True)
        implement = next(t for t in shown["completed_tasks"] if t["name"] == "implement_correction")
        assert [e["file_name"] for e in implement["evidence"]] == ["calibration-2026-118.pdf", "meter.jpg"]
        trail = [e for e in queries.audit_events(session, instance_id=nc) if e.action.startswith("evidence")]
        assert [(e.action, e.actor, e.data["sha256"]) for e in trail] == [
            ("evidence_attached", "staff_prod", rows[0].sha256), ("evidence_attached", "staff_prod", rows[1].sha256),
            ("evidence_read", "auditor", rows[0].sha256)]


def test_the_same_file_twice_is_stored_once(db):
    nc, task = _at_implementation(db)
    _implement(db, task.id, [CERTIFICATE, evidence.Upload("copy.pdf", CERTIFICATE.content)])
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM evidence_blobs")).scalar() == 1
        assert len(queries.evidence_of(session, instance_id=nc)) == 2


def test_an_unusable_file_refuses_the_completion_and_nothing_is_written(db):
    nc, task = _at_implementation(db)
    with pytest.raises(InvalidFormData, match="empty") as caught:
        _implement(db, task.id, [CERTIFICATE, evidence.Upload("blank.txt", b"")])
    assert list(caught.value.errors) == ["evidence"]
    assert open_task_names(db, nc) == ["implement_correction"]
    with db.reading() as session:
        assert queries.evidence_of(session, instance_id=nc) == []
        assert session.execute(text("SELECT count(*) FROM evidence_blobs")).scalar() == 0


@pytest.mark.parametrize("statement", [
    "UPDATE evidence_blobs SET content = :forged",
    "DELETE FROM evidence_blobs",
    "UPDATE evidence SET file_name = 'other.pdf'",
    "DELETE FROM evidence",
])
def test_the_database_refuses_to_alter_or_remove_evidence(db, statement):
    _nc, task = _at_implementation(db)
    _implement(db, task.id, [CERTIFICATE])
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as connection:
            connection.execute(text(statement), {"forged": b"forged"} if ":forged" in statement else {})


def test_evidence_is_read_by_those_who_took_part_or_oversee_the_system(db):
    nc, task = _at_implementation(db)
    _implement(db, task.id, [CERTIFICATE])
    with db.reading() as session:
        [row] = queries.evidence_of(session, instance_id=nc)
    for reader in ("staff_prod", "head_prod", "auditor", "body", "admin"):
        with db.transaction() as session:
            assert evidence.read(session, row.id, reader)[1] == CERTIFICATE.content
    with db.transaction() as session, pytest.raises(NotPermitted, match="may not read the evidence"):
        evidence.read(session, row.id, "staff_energy")
    with db.reading() as session, pytest.raises(NotPermitted):
        access.readable_instance(session, nc, "head_energy")


def test_whoever_is_offered_an_open_step_reads_the_evidence_that_came_before(db):
    nc = start_corrective_action(db)
    with db.transaction() as session:
        tasks.complete(session, task_id=open_task(db, nc, "evaluate_consequences").id, actor="body",
                       data=FORM_DATA["evaluate_consequences"], evidence_files=[PHOTO])
    with db.reading() as session:
        [row] = queries.evidence_of(session, instance_id=nc)
    # head_prod has not touched this nonconformity yet, but is offered its root-cause analysis.
    with db.transaction() as session:
        assert evidence.read(session, row.id, "head_prod")[1] == PHOTO.content
    with db.transaction() as session, pytest.raises(NotPermitted, match="may not read the evidence"):
        evidence.read(session, row.id, "head_energy")


@pytest.mark.parametrize("upload, problem", [
    (evidence.Upload("..", b"x"), "start with a dot"),
    (evidence.Upload("   ", b"x"), "1 to 255"),
    (evidence.Upload(".bash_profile", b"x"), "start with a dot"),
    (evidence.Upload("report\x1b[31m.pdf", b"x"), "control characters"),
    (evidence.Upload("report\u202efdp.exe", b"x"), "control characters"),  # shows as reportexe.pdf
    (evidence.Upload("photo\u2067gpj.bat", b"x"), "control characters"),
    (evidence.Upload("report.pdf", b"x", "text/html; charset=utf-8" * 20), "content type"),
])
def test_file_names_and_content_types_that_could_mislead_are_refused(db, upload, problem):
    nc, task = _at_implementation(db)
    with pytest.raises(InvalidFormData, match=problem):
        _implement(db, task.id, [upload])
