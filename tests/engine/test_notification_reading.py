"""Reading one's notifications: newest first with what each is about, marking one or all read, no one else's."""
from __future__ import annotations

import pytest

from engine.errors import NotFound
from engine.read import notifications as notices
from engine.services import comments, notifications
from tests.factories import complete, open_task, start_corrective_action


def _notify(db, username, kind, task, key):
    with db.transaction() as session:
        notifications.notify(session, usernames=[username], kind=kind, key=key, title="stored title",
                             instance_id=task.instance_id, task_id=task.id)


def test_the_list_is_newest_first_with_the_task_it_is_about_and_counts_the_unread(db):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    _notify(db, "body", "new_task", task, "new_task:1")
    _notify(db, "body", "reminder", task, "reminder:1")
    with db.reading() as session:
        page = notices.page_of(session, "body", per_page=1)
        assert notices.unread_count(session, "body") == 2
    assert (page.total, page.unread, page.pages) == (2, 2, 2)
    [newest] = page.items
    assert (newest.kind, newest.task_title, newest.task_title_en) == ("reminder", task.title, task.title_en)
    assert newest.due_at == task.due_at and newest.instance_id == nc and newest.process_name


def test_one_or_all_are_marked_read_and_nobody_marks_anyone_elses(db):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    _notify(db, "body", "new_task", task, "new_task:1")
    _notify(db, "body", "reminder", task, "reminder:1")
    _notify(db, "body2", "new_task", task, "new_task:1")
    with db.reading() as session:
        first, other = notices.listed(session, "body")[1], notices.listed(session, "body2")[0]
    with db.transaction() as session, pytest.raises(NotFound):
        notifications.read_one(session, notification_id=other.id, actor="body")
    with db.transaction() as session:
        assert notifications.read_one(session, notification_id=first.id, actor="body").read_at is not None
    with db.reading() as session:
        assert notices.unread_count(session, "body") == 1 and notices.unread_count(session, "body2") == 1
        assert [n.id for n in notices.listed(session, "body", unread_only=True)] != [first.id]
    with db.transaction() as session:
        assert notifications.read_all(session, actor="body") == 1
    with db.reading() as session:
        assert notices.unread_count(session, "body") == 0 and notices.unread_count(session, "body2") == 1


def test_a_mention_is_read_with_its_author_and_comment(db):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    with db.transaction() as session:
        comment_id = comments.add(session, instance_id=nc, task_id=task.id, actor="body",
                                  body="@head_prod see the Q3 data").id
    with db.reading() as session:
        [mention] = notices.listed(session, "head_prod")
    assert (mention.kind, mention.actor, mention.comment_id, mention.task_id) == ("mention", "Body", comment_id,
                                                                                 task.id)
    assert mention.body == "@head_prod see the Q3 data"
