"""A revised document, as top management reads it before approving: what changed against the version it replaces."""
from __future__ import annotations

from engine.read.document_changes import against_replaced
from engine.read.steps import directory_names
from engine.read.task_context import context_of
from engine.services import evidence
from tests.factories import complete, open_task
from tests.processes.test_document_control import draft_data, fire_review_timer, release_data, start_document

PASS = {"review_decision": "pass", "review_comments": "Fit for use."}
APPROVE = {"approval_decision": "approve", "approval_comments": "", "approval_statement": True}
OLD_TEXT = "1 Scope\nAll emission data.\n2 Duties\nThe carbon office checks monthly.\n"
NEW_TEXT = "1 Scope\nAll emission data.\n2 Duties\nThe carbon office checks weekly.\n3 Archive\nTen years.\n"


def _text(name: str, text: str) -> list[evidence.Upload]:
    return [evidence.Upload(name, text.encode(), "text/markdown")]


def _revision_at_approval(db, *, new_files: list[evidence.Upload], old_files: list[evidence.Upload]) -> object:
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data(), files=old_files)
    complete(db, iid, "review_by_body", "body2", PASS)
    complete(db, iid, "approve_document", "gm", APPROVE)
    complete(db, iid, "release_document", "docs", release_data())
    fire_review_timer(db, iid)
    complete(db, iid, "periodic_review", "body2", {"periodic_decision": "revise", "review_findings": "Weekly checks."})
    prefill = open_task(db, iid, "draft_document").prefill
    # The revision starts from the version in force, naming what it replaces.
    assert prefill["replaces_identifier"] == "CF-MS-001" and prefill["replaces_version"] == "A/0"
    assert prefill["content_summary"] == draft_data()["content_summary"]
    complete(db, iid, "draft_document", "body", {**prefill, "retention_years": 15, "revision_note": "Weekly.",
                                                 "content_summary": "Who collects and checks data weekly."},
             files=new_files)
    complete(db, iid, "review_by_body", "body2", PASS)
    return open_task(db, iid, "approve_document")


def test_the_approver_sees_the_changed_fields_and_the_changed_lines_against_the_replaced_version(db):
    task = _revision_at_approval(db, old_files=_text("procedure-A0.md", OLD_TEXT),
                                 new_files=_text("procedure-B0.md", NEW_TEXT))
    with db.reading() as session:
        names = directory_names(session)
        changes = against_replaced(session, context_of(session, task, names=names).steps, names)
    assert (changes.identifier, changes.version, changes.found) == ("CF-MS-001", "A/0", True)
    assert {(c.label_en, c.old[1], c.new[1]) for c in changes.fields} == {
        ("Content summary", "Who collects, checks and archives emission data.",
         "Who collects and checks data weekly."),
        ("Retention period (years)", "10", "15")}
    assert ("-", "The carbon office checks monthly.") in changes.text_diff
    assert ("+", "The carbon office checks weekly.") in changes.text_diff
    assert ("+", "3 Archive") in changes.text_diff and (" ", "1 Scope") in changes.text_diff
    assert (changes.old_file.file_name, changes.new_file.file_name) == ("procedure-A0.md", "procedure-B0.md")


def test_pdfs_are_compared_by_their_fields_and_shown_side_by_side_not_line_by_line(db):
    pdf = [evidence.Upload("procedure.pdf", b"%PDF-1.4 old", "application/pdf")]
    task = _revision_at_approval(db, old_files=pdf,
                                 new_files=[evidence.Upload("procedure-B.pdf", b"%PDF-1.4 new", "application/pdf")])
    with db.reading() as session:
        changes = against_replaced(session, context_of(session, task).steps)
    assert changes.text_diff is None and changes.old_file.file_name == "procedure.pdf"
    assert [c.label_en for c in changes.fields] == ["Content summary", "Retention period (years)"]


def test_a_draft_replacing_a_version_never_released_here_says_so_and_a_new_document_compares_nothing(db):
    iid = start_document(db)
    complete(db, iid, "draft_document", "body", draft_data(replaces_identifier="CF-MS-009", replaces_version="A/0"))
    with db.reading() as session:
        changes = against_replaced(session, context_of(session, open_task(db, iid, "review_by_body")).steps)
    assert (changes.identifier, changes.found, changes.fields) == ("CF-MS-009", False, ())
    other = start_document(db)
    complete(db, other, "draft_document", "body", draft_data())
    with db.reading() as session:
        assert against_replaced(session, context_of(session, open_task(db, other, "review_by_body")).steps) is None


def test_approving_a_revision_is_a_new_decision_not_one_sent_back_nor_prefilled_with_the_last(db):
    task = _revision_at_approval(db, old_files=[], new_files=[])
    with db.reading() as session:
        context = context_of(session, task)
    assert context.sent_back_by is None and context.previous_entries is None
    # The revision's draft, by contrast, came back through the periodic review that asked for it.
    assert [s.element for s in context.steps][-2:] == ["draft_document", "review_by_body"]



def test_a_revision_approved_after_a_first_round_done_all_in_one_second_is_still_a_new_decision(db):
    from datetime import datetime, timedelta, timezone

    from engine import clock
    iid = start_document(db)
    # The first round's steps all complete in the same second (as the demo plant's clock has them).
    with clock.frozen_at(datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)):
        complete(db, iid, "draft_document", "body", draft_data())
        complete(db, iid, "review_by_body", "body2", PASS)
        complete(db, iid, "approve_document", "gm", APPROVE)
        complete(db, iid, "release_document", "docs", release_data())
    fire_review_timer(db, iid)
    complete(db, iid, "periodic_review", "body2", {"periodic_decision": "revise", "review_findings": "Weekly."})
    complete(db, iid, "draft_document", "body", {**open_task(db, iid, "draft_document").prefill, "retention_years": 15})
    complete(db, iid, "review_by_body", "body2", PASS)
    with db.reading() as session:
        context = context_of(session, open_task(db, iid, "approve_document"))
    assert context.sent_back_by is None and context.previous_entries is None
