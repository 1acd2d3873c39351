"""Comments on an instance and its tasks: audited, read by the instance's readers, mentions notified or refused."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.models import AuditEvent, Comment, Notification, ProcessInstance
from engine.people import get_actor
from engine.read import access, comments
from engine.services import comments as commenting
from tests.factories import USERS, complete, open_task, start_corrective_action


def _post(db, instance_id, actor, body, task_id=None):
    with db.transaction() as session:
        return commenting.add(session, instance_id=instance_id, task_id=task_id, actor=actor, body=body)


def _count(db, model, *where):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def _notifications(db, username):
    with db.reading() as session:
        return list(session.scalars(select(Notification).where(Notification.username == username)))


def _at_analysis(db):
    """A nonconformity raised by staff_prod whose cause analysis is offered to head_prod (production's head)."""
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    return nc, open_task(db, nc, "analyse_cause")


def test_a_comment_is_kept_and_audited_with_its_text_in_the_same_transaction(db):
    nc, task = _at_analysis(db)
    posted = _post(db, nc, "body", "  Please attach the calibration certificate.\n", task.id)
    with db.reading() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "comment"))
        kept = session.get(Comment, posted.id)
    assert (kept.author, kept.task_id, kept.body) == ("body", task.id, "Please attach the calibration certificate.")
    assert (event.actor, event.instance_id, event.task_id) == ("body", nc, task.id)
    assert event.data == {"comment_id": posted.id, "body": "Please attach the calibration certificate.",
                          "mentions": []}


def test_a_mention_notifies_the_user_with_a_link_to_the_task(db):
    nc, task = _at_analysis(db)
    posted = _post(db, nc, "body", "@head_prod 请确认根本原因", task.id)
    [notice] = _notifications(db, "head_prod")
    assert (notice.kind, notice.task_id, notice.instance_id) == ("mention", task.id, nc)
    assert notice.key == f"mention:{posted.id}:head_prod" and notice.body == "@head_prod 请确认根本原因"
    assert posted.mentions == ["head_prod"]
    assert _notifications(db, "body") == []  # the author is not told about their own comment


def test_mentioning_someone_who_may_not_read_the_instance_is_refused_naming_them_and_nothing_is_written(db):
    nc, task = _at_analysis(db)
    with pytest.raises(InvalidFormData) as refused:
        _post(db, nc, "body", "@head_prod and @docs please look", task.id)
    assert refused.value.errors == {"body": [
        f"@docs may not read instance {nc}, so the comment cannot mention them: nothing was posted."]}
    assert refused.value.reason.code == "mention_not_reader" and refused.value.reason.params == {"names": "@docs"}
    assert _count(db, Comment) == 0 and _count(db, AuditEvent, AuditEvent.action == "comment") == 0
    assert _notifications(db, "head_prod") == []


def test_a_name_nobody_has_is_refused_rather_than_silently_not_notified(db):
    nc, _task = _at_analysis(db)
    with pytest.raises(InvalidFormData, match="No active user is named @head_prd"):
        _post(db, nc, "body", "@head_prd typo")


def test_the_read_only_auditor_reads_comments_but_may_not_write_one(db):
    nc, _task = _at_analysis(db)
    _post(db, nc, "staff_prod", "Raised after the audit of kiln 2.")
    with pytest.raises(NotPermitted, match="read-only"):
        _post(db, nc, "verifier", "A note")
    with db.reading() as session:
        access.readable_instance(session, nc, "verifier")
        assert [c.body for c in comments.thread(session, nc)] == ["Raised after the audit of kiln 2."]


def test_whoever_may_not_read_the_instance_may_not_comment_on_it(db):
    nc, _task = _at_analysis(db)
    with pytest.raises(NotPermitted, match="may not comment"):
        _post(db, nc, "docs", "Not mine to say")
    assert _count(db, Comment) == 0


def test_the_thread_is_oldest_first_with_display_names_and_the_step_of_each_comment(db):
    nc, task = _at_analysis(db)
    _post(db, nc, "staff_prod", "First, on the record")
    _post(db, nc, "head_prod", "Second, on the analysis", task.id)
    with db.reading() as session:
        thread = comments.thread(session, nc)
    assert [(c.author_name, c.body, c.task_id, c.task_title) for c in thread] == [
        ("Staff_Prod", "First, on the record", None, None),
        ("Head_Prod", "Second, on the analysis", task.id, task.title)]


@pytest.mark.parametrize("body, code", [("", "comment_blank"), (" \n\t ", "comment_blank"),
                                        ("x" * 4001, "comment_too_long")])
def test_an_empty_blank_or_too_long_comment_is_refused(db, body, code):
    nc, _task = _at_analysis(db)
    with pytest.raises(InvalidFormData) as refused:
        _post(db, nc, "body", body)
    assert refused.value.reason.code == code and list(refused.value.errors) == ["body"]
    assert _post(db, nc, "body", "x" * 4000).body == "x" * 4000


def test_a_task_of_another_instance_is_not_found(db):
    nc, _task = _at_analysis(db)
    other, other_task = _at_analysis(db)
    with pytest.raises(NotFound):
        _post(db, nc, "body", "Wrong place", other_task.id)


def test_mentions_are_read_in_chinese_text_but_not_in_e_mail_addresses_or_longer_names(db):
    with db.reading() as session:
        assert comments.resolve(session, "请@head_prod确认，抄送 @body。").found == ("head_prod", "body")
        assert comments.resolve(session, "mail head_prod@plant.example").found == ()
        assert comments.resolve(session, "@body2 only").found == ("body2",)
        assert comments.resolve(session, "@bodyguard").unknown == ("bodyguard",)
        assert comments.resolve(session, "@body.smith").unknown == ("body.smith",)
    assert comments.segments("请@head_prod确认", ["head_prod"]) == (("请", False), ("@head_prod", True),
                                                                    ("确认", False))


def test_who_may_be_mentioned_is_exactly_who_may_read_the_instance(db):
    nc, _task = _at_analysis(db)
    with db.reading() as session:
        instance = session.get(ProcessInstance, nc)
        listed = {username for username, _name in comments.mentionable(session, instance)}
        readers = {u for u in USERS if access.may_read(session, instance, get_actor(session, u))}
    assert listed == readers and "head_prod" in listed and "docs" not in listed
