"""The bell in the top bar, the notifications page in the reader's language, opening one and marking read."""
from __future__ import annotations

import re

from engine.models import HumanTask
from engine.read import notifications as notices
from engine.services import notifications
from tests.factories import complete, open_task, start_corrective_action
from tests.web.conftest import csrf_token


def _in_english(client):
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})
    return client


def _notify(db, username, kind, task):
    with db.transaction() as session:
        notifications.notify(session, usernames=[username], kind=kind, key=f"{kind}:{task.id}",
                             title=f"{task.title} / {task.title_en}", instance_id=task.instance_id, task_id=task.id)
    with db.reading() as session:
        return notices.listed(session, username)[0].id


def _evaluation(db):
    return open_task(db, start_corrective_action(db), "evaluate_consequences")


def _bell(page):
    return re.search(r'<a class="bell[^"]*" href="/notifications"\s+aria-label="([^"]*)"[^>]*>(.*?)</a>', page, re.S)


def test_the_bell_says_how_many_are_unread_in_words_and_in_sight(db, sign_in):
    task = _evaluation(db)
    client = _in_english(sign_in("body"))
    assert _bell(client.get("/inbox").get_data(as_text=True)).group(1) == "Notifications, none unread"
    _notify(db, "body", "new_task", task)
    _notify(db, "body", "reminder", task)
    label, shown = _bell(client.get("/dashboard").get_data(as_text=True)).groups()
    assert label == "Notifications, 2 unread"
    assert re.sub(r"<svg.*?</svg>|<[^>]+>|\s+", " ", shown, flags=re.S).split() == ["Notifications", "2"]


def test_the_list_is_newest_first_in_the_readers_language_with_the_unread_ones_marked_in_words(db, sign_in):
    task = _evaluation(db)
    first = _notify(db, "body", "new_task", task)
    second = _notify(db, "body", "overdue", task)
    client = sign_in("body")
    chinese = client.get("/notifications").get_data(as_text=True)
    assert task.title in chinese and task.title_en not in chinese  # the task by its name in the page's language
    english = _in_english(client).get("/notifications").get_data(as_text=True)
    assert english.index(f'id="notification-{second}"') < english.index(f'id="notification-{first}"')
    assert f"New task for you: {task.title_en}" in english and f"{task.title_en} is overdue" in english
    assert english.count('<span class="tag unread-tag">Unread</span>') == 2
    assert f'href="/notifications/{first}"' in english


def test_opening_one_marks_it_read_and_leads_to_its_task(db, sign_in):
    task = _evaluation(db)
    opened = _notify(db, "body", "new_task", task)
    client = _in_english(sign_in("body"))
    response = client.get(f"/notifications/{opened}")
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{task.id}"
    assert _bell(client.get("/inbox").get_data(as_text=True)).group(1) == "Notifications, none unread"
    page = client.get("/notifications").get_data(as_text=True)
    assert "unread-tag" not in page and 'class="notification read"' in page and "read 20" in page


def test_one_or_all_are_marked_read_from_the_list_and_no_one_elses(db, sign_in):
    task = _evaluation(db)
    one = _notify(db, "body", "new_task", task)
    _notify(db, "body", "reminder", task)
    theirs = _notify(db, "body2", "new_task", task)
    client = _in_english(sign_in("body"))
    token = csrf_token(client.get("/notifications").get_data(as_text=True))
    assert client.post(f"/notifications/{theirs}/read", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/notifications/{theirs}").status_code == 404
    marked = client.post(f"/notifications/{one}/read", data={"csrf_token": token, "page": "1", "show": "unread"})
    assert marked.status_code == 302 and marked.headers["Location"] == "/notifications?page=1&show=unread"
    assert _bell(client.get("/inbox").get_data(as_text=True)).group(1) == "Notifications, 1 unread"
    everything = client.post("/notifications/read-all", data={"csrf_token": token}, follow_redirects=True)
    assert "1 notification marked as read." in everything.get_data(as_text=True)
    with db.reading() as session:
        assert notices.unread_count(session, "body") == 0 and notices.unread_count(session, "body2") == 1


def test_the_list_is_paged_25_at_a_time(db, sign_in):
    task = _evaluation(db)
    with db.transaction() as session:
        for n in range(30):
            notifications.notify(session, usernames=["body"], kind="new_task", key=f"paging:{n}", title="t",
                                 instance_id=task.instance_id, task_id=task.id)
    client = _in_english(sign_in("body"))
    first = client.get("/notifications").get_data(as_text=True)
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert first.count('class="notification unread"') == 25 and "Page 1 of 2" in first and "?page=2" in first
    assert second.count('class="notification unread"') == 5


def test_a_decision_says_who_decided_what_in_the_readers_language(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    with db.transaction() as session:
        done = session.get(HumanTask, open_task(db, nc, "analyse_cause").id)
        done.submitted_data, done.completed_by = {"approved": False}, "gm"
        notifications.notify(session, usernames=["staff_prod"], kind="decision", key=f"decision:{done.id}",
                             title=f"{done.title}: returned", instance_id=nc, task_id=done.id)
    page = _in_english(sign_in("staff_prod")).get("/notifications").get_data(as_text=True)
    assert f"{done.title_en}: sent back by Gm" in page
