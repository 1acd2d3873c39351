"""My work by default, what I completed, several claimed at once, filters kept by name; the plant's open work."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine import clock
from engine.models import AuditEvent, HumanTask, SavedFilter
from tests.factories import complete, open_task, start_corrective_action
from tests.web.conftest import csrf_token


def _tab_counts(html: str) -> dict[str, str]:
    import re
    return dict(re.findall(r'data-tab="(\w+)"[^>]*>[^<]*<span class="count">(\d+)</span>', html))


def test_my_work_is_the_default_and_holds_what_is_assigned_and_what_my_roles_may_take(db, sign_in):
    first = start_corrective_action(db, business_key="NC-W1")
    start_corrective_action(db, business_key="NC-W2")
    with db.transaction() as session:
        from engine.services import tasks
        tasks.claim(session, task_id=open_task(db, first, "evaluate_consequences").id, actor="body")
    page = sign_in("body").get("/inbox").get_data(as_text=True)
    assert 'data-tab="all" aria-current="page"' in page or 'aria-current="page"' in page.split('data-tab="all"')[1][:80]
    assert "NC-W1" in page and "NC-W2" in page  # the claimed one and the offered one, without a click
    assert _tab_counts(page) == {"all": "2", "mine": "1", "candidate": "1", "overdue": "0"}


def test_completed_by_me_lists_the_latest_first_and_the_done_panel_leads_on(db, sign_in):
    nc = start_corrective_action(db, business_key="NC-DONE")
    done = complete(db, nc, "evaluate_consequences", "body")
    client = sign_in("body")
    listed = client.get("/inbox?tab=done").get_data(as_text=True)
    assert f'data-task="{done.id}"' in listed and "NC-DONE" in listed
    panel = client.get(f"/inbox?done={done.id}").get_data(as_text=True)
    assert f'data-done="{done.id}"' in panel and f"/instances/{nc}" in panel
    # The next step waits for the department head, not for body: the panel offers only the way to the instance.
    assert "data-next=" not in panel
    assert 'data-done=' not in sign_in("gm").get(f"/inbox?done={done.id}").get_data(as_text=True)  # not gm's


def test_ticked_tasks_are_claimed_together_and_one_taken_by_someone_else_is_named(db, sign_in):
    ids = [open_task(db, start_corrective_action(db, business_key=f"NC-B{i}"), "evaluate_consequences").id
           for i in range(3)]
    client = sign_in("body")
    page = client.get("/inbox").get_data(as_text=True)
    assert 'form="claim-many"' in page
    with db.transaction() as session:
        from engine.services import tasks
        tasks.claim(session, task_id=ids[2], actor="body2")
    answer = client.post("/inbox/claim", data={"task_id": [str(i) for i in ids], "csrf_token": csrf_token(page)},
                         headers={"Referer": "http://localhost/inbox?tab=candidate"}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "已签收 2 个任务" in text
    assert f"#{ids[2]}" in text  # the one body2 was quicker to
    with db.reading() as session:
        assignees = [session.get(HumanTask, i).assignee for i in ids]
    assert assignees == ["body", "body", "body2"]


def test_a_filter_is_kept_by_name_opened_again_and_deleted_by_its_owner_only(db, sign_in):
    start_corrective_action(db, business_key="NC-F1")
    client = sign_in("body")
    token = csrf_token(client.get("/inbox").get_data(as_text=True))
    client.post("/inbox/filters", data={"name": "  Kiln  work ", "tab": "candidate", "q": "NC-F1",
                                        "csrf_token": token})
    page = client.get("/inbox").get_data(as_text=True)
    assert ">Kiln work</a>" in page and "q=NC-F1" in page and "tab=candidate" in page
    twice = client.post("/inbox/filters", data={"name": "Kiln work", "csrf_token": token}, follow_redirects=True)
    assert "你已有名为“Kiln work”的筛选" in twice.get_data(as_text=True)
    with db.reading() as session:
        kept = session.scalars(select(SavedFilter)).one()
        assert kept.query == {"tab": "candidate", "q": "NC-F1"}
    other = sign_in("body2")
    refused = other.post(f"/inbox/filters/{kept.id}/delete",
                         data={"csrf_token": csrf_token(other.get("/inbox").get_data(as_text=True))})
    assert refused.status_code == 404
    client.post(f"/inbox/filters/{kept.id}/delete", data={"csrf_token": token})
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(SavedFilter)) == 0
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("filter_%"))
                                  .order_by(AuditEvent.id)).all()
    assert actions == ["filter_saved", "filter_deleted"]


def test_a_refused_filter_says_why_in_the_readers_language(db, sign_in):
    client = sign_in("body")
    token = csrf_token(client.get("/inbox").get_data(as_text=True))
    blank = client.post("/inbox/filters", data={"name": " \u3000 ", "csrf_token": token}, follow_redirects=True)
    assert "请为筛选起一个 1 到 100 个字符的名称" in blank.get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": token})
    client.post("/inbox/filters", data={"name": "Mine", "csrf_token": token})
    twice = client.post("/inbox/filters", data={"name": "Mine", "csrf_token": token}, follow_redirects=True)
    assert "You have a filter named “Mine” already." in twice.get_data(as_text=True)
    with db.reading() as session:
        assert session.scalars(select(SavedFilter.name)).all() == ["Mine"]


def test_the_dashboard_figures_open_the_plant_wide_list_they_count(db, sign_in):
    for key in ("NC-D1", "NC-D2"):
        start_corrective_action(db, business_key=key)
    client = sign_in("admin")  # oversees the plant, has no task of its own
    later = clock.now() + timedelta(days=60)
    with clock.frozen_at(later):
        dashboard = client.get("/dashboard").get_data(as_text=True)
        assert 'href="/work?overdue=1"' in dashboard and 'href="/work"' in dashboard
        overdue = client.get("/work?overdue=1").get_data(as_text=True)
        role_bar = client.get("/work?role=carbon_body").get_data(as_text=True)
    assert '<strong data-total>2</strong>' in overdue and "NC-D1" in overdue and "⚠" in overdue
    assert '<strong data-total>2</strong>' in role_bar
    assert 'href="/work?role=carbon_body"' in dashboard  # each bar links to its part of the list
    staff = sign_in("staff_prod")
    assert 'href="/inbox?tab=overdue"' in staff.get("/dashboard").get_data(as_text=True)  # their own figures
    assert staff.get("/work").status_code == 403


def test_completing_a_task_on_its_page_returns_to_the_inbox_saying_where_the_instance_went(db, sign_in):
    from tests.factories import analyse_data
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    client = sign_in("head_prod")
    token = csrf_token(client.get(f"/tasks/{task.id}").get_data(as_text=True))
    answer = client.post(f"/tasks/{task.id}", data={**analyse_data(), "similar_checked": "on", "action": "complete",
                                                   "csrf_token": token})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/inbox?done={task.id}")
    panel = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'data-done="{task.id}"' in panel and f'href="/instances/{nc}"' in panel


def test_handing_over_names_who_took_it_keeps_the_reason_and_a_refusal_stays_on_the_page(db, sign_in):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    client = sign_in("body")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    token = csrf_token(page)
    assert 'name="reason"' in page.split('data-form="delegate"')[1].split("</form>")[0]
    refused = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "staff_prod", "csrf_token": token})
    assert refused.status_code == 403 and 'data-form="delegate"' in refused.get_data(as_text=True)  # the page
    handed = client.post(f"/tasks/{task.id}/delegate", data={"to_user": "body2", "reason": "On leave next week",
                                                           "csrf_token": token}, follow_redirects=True)
    assert "Body2" in handed.get_data(as_text=True)
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "delegate")).one()
    assert event.data["reason"] == "On leave next week"
