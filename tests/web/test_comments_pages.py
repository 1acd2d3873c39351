"""Comments on the task and instance pages: posted back to the comment, refused inline with the text kept."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from engine.models import AuditEvent, Comment
from tests.factories import complete, open_task, start_corrective_action
from tests.web.conftest import csrf_token


def _in_english(client):
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})
    return client


def _at_analysis(db):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    return nc, open_task(db, nc, "analyse_cause")


def _comments(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(Comment))


def _box(page):
    return re.search(r'<form method="post" action="([^"]+)" class="comment-form">(.*?)</form>', page, re.S)


def test_a_comment_on_a_task_returns_to_it_with_the_author_and_time_newest_last(db, sign_in):
    nc, task = _at_analysis(db)
    client = _in_english(sign_in("body"))
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert _box(page).group(1) == f"/tasks/{task.id}/comments#comments"
    assert "Comments cannot be edited or deleted: to correct one, add another." in page
    token = csrf_token(page)
    for text in ("First: the meter log is attached.", "Second: @head_prod please confirm the cause."):
        response = client.post(f"/tasks/{task.id}/comments", data={"body": text, "csrf_token": token})
        assert response.status_code == 302 and re.fullmatch(rf"/tasks/{task.id}#comment-\d+",
                                                            response.headers["Location"])
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    thread = page[page.index('id="comments"'):]
    assert thread.index("First: the meter log") < thread.index("Second:")
    assert thread.count('<strong class="author">Body</strong>') == 2 and "<time datetime=" in thread
    assert '<span class="mention">@head_prod</span>' in thread


def test_a_refused_comment_shows_the_page_again_with_the_reason_and_the_text_kept(db, sign_in):
    nc, task = _at_analysis(db)
    client = _in_english(sign_in("body"))
    token = csrf_token(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    for text, reason in (("   ", "a comment cannot be empty"),
                         ("@docs please check", "@docs cannot read this record"),
                         ("x" * 4001, "at most 4000 characters; this one has 4001")):
        response = client.post(f"/tasks/{task.id}/comments", data={"body": text, "csrf_token": token})
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        box = _box(page).group(2)
        assert 'class="field has-error"' in box and reason in box and 'aria-invalid="true"' in box
        assert f">{text}</textarea>" in box
        assert 'name="root_cause"' in page  # the task's own form is still there: nothing lost
    assert _comments(db) == 0


def test_the_instance_page_has_the_whole_thread_and_its_own_box(db, sign_in):
    nc, task = _at_analysis(db)
    client = _in_english(sign_in("staff_prod"))
    token = csrf_token(client.get(f"/instances/{nc}").get_data(as_text=True))
    on_task = sign_in("head_prod")
    on_task.post(f"/tasks/{task.id}/comments", data={"body": "On the analysis", "csrf_token": csrf_token(
        on_task.get(f"/tasks/{task.id}").get_data(as_text=True))})
    response = client.post(f"/instances/{nc}/comments", data={"body": "On the record", "csrf_token": token})
    assert re.fullmatch(rf"/instances/{nc}#comment-\d+", response.headers["Location"])
    page = client.get(f"/instances/{nc}").get_data(as_text=True)
    assert _box(page).group(1) == f"/instances/{nc}/comments#comments"
    assert "On the analysis" in page and f'on the step <a href="/tasks/{task.id}">' in page
    assert page.index("On the analysis") < page.index("On the record")
    with db.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "comment")
                                 .order_by(AuditEvent.id)).all()
    assert [(e.actor, e.instance_id, e.task_id) for e in events] == [("head_prod", nc, task.id), ("staff_prod", nc, None)]


def test_the_auditor_reads_the_comments_without_a_box_and_may_not_post(db, sign_in):
    nc, task = _at_analysis(db)
    writer = sign_in("body")
    writer.post(f"/instances/{nc}/comments", data={"body": "For the record", "csrf_token": csrf_token(
        writer.get(f"/instances/{nc}").get_data(as_text=True))})
    auditor = _in_english(sign_in("verifier"))
    page = auditor.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "For the record" in page and _box(page) is None and "reads comments but does not write them" in page
    token = csrf_token(page)
    assert auditor.post(f"/tasks/{task.id}/comments", data={"body": "x", "csrf_token": token}).status_code == 403
    assert _comments(db) == 1


def test_someone_who_may_not_read_the_instance_may_not_comment(db, sign_in):
    nc, task = _at_analysis(db)
    outsider = sign_in("docs")
    token = csrf_token(outsider.get("/inbox").get_data(as_text=True))
    assert outsider.post(f"/instances/{nc}/comments", data={"body": "x", "csrf_token": token}).status_code == 403
    assert outsider.post(f"/tasks/{task.id}/comments", data={"body": "x", "csrf_token": token}).status_code == 403
    assert _comments(db) == 0


def test_a_mention_lights_the_bell_of_the_mentioned_and_its_link_leads_to_the_comment(db, sign_in):
    nc, task = _at_analysis(db)
    author = sign_in("body")
    posted = author.post(f"/tasks/{task.id}/comments", data={"body": "@head_prod 请确认", "csrf_token": csrf_token(
        author.get(f"/tasks/{task.id}").get_data(as_text=True))})
    anchor = posted.headers["Location"].split("#")[1]
    mentioned = _in_english(sign_in("head_prod"))
    assert 'aria-label="Notifications, 1 unread"' in mentioned.get("/inbox").get_data(as_text=True)
    listed = mentioned.get("/notifications").get_data(as_text=True)
    assert f"Body mentioned you on {task.title_en}" in listed and "@head_prod 请确认" in listed
    link = re.search(r'href="(/notifications/\d+)" class="headline"', listed).group(1)
    assert mentioned.get(link).headers["Location"] == f"/tasks/{task.id}#{anchor}"
