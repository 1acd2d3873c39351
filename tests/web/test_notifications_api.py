"""The JSON API for notifications (the caller's, marking read) and comments (read by readers, written by writers)."""
from __future__ import annotations

import pytest

from engine.services import notifications
from tests.factories import complete, open_task, start_corrective_action
from tests.web.conftest import bearer_token


@pytest.fixture
def call(app, db):
    """call(username, method, url, json=None) -> the response, with a bearer token of that user."""
    tokens: dict[str, str] = {}

    def send(username, method, url, json=None):
        tokens.setdefault(username, bearer_token(app, db, username))
        return app.test_client().open(url, method=method, json=json,
                                      headers={"Authorization": f"Bearer {tokens[username]}"})
    return send


def _at_analysis(db):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    return nc, open_task(db, nc, "analyse_cause")


def test_the_callers_notifications_newest_first_the_unread_ones_alone_and_marked_read(db, call):
    nc, task = _at_analysis(db)
    with db.transaction() as session:
        for kind in ("new_task", "reminder"):
            notifications.notify(session, usernames=["head_prod", "body2"], kind=kind, key=f"{kind}:{task.id}",
                                 title="stored", instance_id=nc, task_id=task.id)
    listed = call("head_prod", "GET", "/api/v1/notifications").get_json()
    assert (listed["total"], listed["unread"]) == (2, 2)
    newest, oldest = listed["notifications"]
    assert (newest["kind"], oldest["kind"]) == ("reminder", "new_task")
    assert oldest["link"] == f"/tasks/{task.id}" and task.title in oldest["text"] and oldest["read_at"] is None
    marked = call("head_prod", "POST", f"/api/v1/notifications/{oldest['id']}/read")
    assert marked.status_code == 200 and marked.get_json()["read_at"] is not None
    unread = call("head_prod", "GET", "/api/v1/notifications?unread=true").get_json()
    assert [n["id"] for n in unread["notifications"]] == [newest["id"]] and unread["unread"] == 1
    theirs = call("body2", "GET", "/api/v1/notifications").get_json()["notifications"][0]["id"]
    refused = call("head_prod", "POST", f"/api/v1/notifications/{theirs}/read")
    assert refused.status_code == 404 and refused.is_json
    assert call("head_prod", "POST", "/api/v1/notifications/read-all").get_json() == {"marked": 1, "unread": 0}
    assert call("body2", "GET", "/api/v1/notifications").get_json()["unread"] == 2


def test_comments_are_posted_on_the_instance_or_a_task_and_read_by_its_readers(db, call):
    nc, task = _at_analysis(db)
    posted = call("body", "POST", f"/api/v1/instances/{nc}/comments",
                  {"body": "@head_prod please confirm", "task_id": task.id})
    assert posted.status_code == 201
    comment = posted.get_json()
    assert (comment["author"], comment["author_name"], comment["task_id"], comment["mentions"]) == (
        "body", "Body", task.id, ["head_prod"])
    assert call("staff_prod", "POST", f"/api/v1/instances/{nc}/comments", {"body": "On the record"}).status_code == 201
    thread = call("verifier", "GET", f"/api/v1/instances/{nc}/comments").get_json()
    assert [c["body"] for c in thread] == ["@head_prod please confirm", "On the record"]
    [mention] = call("head_prod", "GET", "/api/v1/notifications").get_json()["notifications"]
    assert mention["kind"] == "mention" and mention["link"] == f"/tasks/{task.id}#comment-{comment['id']}"


@pytest.mark.parametrize("who, body, status", [
    ("verifier", {"body": "read-only"}, 403),  # the auditor reads comments but writes none
    ("docs", {"body": "not a reader"}, 403),
    ("body", {"body": "   "}, 422),
    ("body", {"body": "@docs look"}, 422),
    ("body", {"body": "x" * 4001}, 422),
    ("body", {"body": "wrong task", "task_id": 999}, 404),
])
def test_a_refused_comment_names_why_and_writes_nothing(db, call, who, body, status):
    nc, _task = _at_analysis(db)
    response = call(who, "POST", f"/api/v1/instances/{nc}/comments", body)
    assert response.status_code == status
    if status == 422:
        assert list(response.get_json()["errors"]) == ["body"]
    assert call("body", "GET", f"/api/v1/instances/{nc}/comments").get_json() == []
    assert call("docs", "GET", f"/api/v1/instances/{nc}/comments").status_code == 403
