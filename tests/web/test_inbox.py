"""The inbox: my tasks, my roles' tasks, overdue, with counts, filters, search, claim and give back."""
from __future__ import annotations

from datetime import timedelta

from engine import clock
from tests.factories import analyse_data, complete, start_corrective_action
from tests.web.conftest import csrf_token


def test_the_inbox_lists_role_tasks_with_counts_and_a_claim_moves_one_to_mine(db, sign_in):
    nc = start_corrective_action(db, business_key="NC-2026-017")
    client = sign_in("body")
    candidate = client.get("/inbox?tab=candidate").get_data(as_text=True)
    assert "评价并处置后果" in candidate and "NC-2026-017" in candidate
    assert f">纠正措施 #{nc}</a>" in candidate  # the process by its name, not its id
    assert '我的角色可办 <span class="count">1</span>' in candidate

    client.post(f"/tasks/{_task_id(db, nc)}/claim", data={"csrf_token": csrf_token(candidate)})
    mine = client.get("/inbox?tab=mine").get_data(as_text=True)
    assert "评价并处置后果" in mine and '分配给我 <span class="count">1</span>' in mine
    assert "已签收任务" in mine


def test_search_by_business_key_and_filter_by_process(db, sign_in):
    start_corrective_action(db, business_key="NC-A")
    start_corrective_action(db, business_key="NC-B")
    client = sign_in("body")
    found = client.get("/inbox?tab=candidate&q=NC-B").get_data(as_text=True)
    assert "NC-B" in found and "NC-A" not in found
    assert "暂无内容" in client.get("/inbox?tab=candidate&process=internal_audit").get_data(as_text=True)


def test_another_department_head_neither_sees_nor_claims_the_task(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    client = sign_in("head_energy")
    page = client.get("/inbox?tab=candidate").get_data(as_text=True)
    assert "分析原因" not in page
    refused = client.post(f"/tasks/{_task_id(db, nc)}/claim", data={"csrf_token": csrf_token(page)})
    assert refused.status_code == 403 and "may not claim" in refused.get_data(as_text=True)


def test_the_overdue_list_and_the_english_page(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    from engine.models import HumanTask
    with db.transaction() as session:
        task = session.get(HumanTask, _task_id(db, nc))
        task.due_at = task.sort_due_at = clock.now() - timedelta(days=2)
    client = sign_in("staff_prod")
    page = client.get("/inbox?tab=overdue").get_data(as_text=True)
    assert "实施纠正措施" in page and 'class="overdue' in page
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(page)})
    english = client.get("/inbox?tab=overdue").get_data(as_text=True)
    assert "Carry out the correction" in english and "Overdue" in english and "已逾期" not in english


def test_the_due_filter_keeps_what_is_due_today_or_this_week(db, sign_in):
    _due_in(db, start_corrective_action(db, business_key="NC-LATE"), timedelta(minutes=-5))
    _due_in(db, start_corrective_action(db, business_key="NC-SOON"), timedelta(days=3))
    _due_in(db, start_corrective_action(db, business_key="NC-LATER"), timedelta(days=30))
    client = sign_in("body")
    today = client.get("/inbox?tab=candidate&due=today").get_data(as_text=True)
    assert "NC-LATE" in today and "NC-SOON" not in today and "NC-LATER" not in today
    assert '<option value="today" selected' in today
    week = client.get("/inbox?tab=candidate&due=week").get_data(as_text=True)
    assert "NC-LATE" in week and "NC-SOON" in week and "NC-LATER" not in week
    anything = client.get("/inbox?tab=candidate&due=someday").get_data(as_text=True)
    assert all(key in anything for key in ("NC-LATE", "NC-SOON", "NC-LATER"))


def _due_in(db, instance_id, delta):
    from engine.models import HumanTask
    with db.transaction() as session:
        task = session.get(HumanTask, _task_id(db, instance_id))
        task.due_at = task.sort_due_at = clock.now() + delta


def _task_id(db, instance_id):
    from sqlalchemy import select

    from engine.models import HumanTask
    with db.reading() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "ready"))


def test_each_row_names_what_its_instance_is_about_and_the_search_finds_it_by_that(db, sign_in):
    start_corrective_action(db, business_key="NC-A", title="Kiln 2 gas meter out of calibration")
    start_corrective_action(db, business_key="NC-B", title="Stack analyser drifting")
    client = sign_in("body")
    page = client.get("/inbox?tab=candidate").get_data(as_text=True)
    assert '<span class="instance-title">Kiln 2 gas meter out of calibration</span>' in page
    assert '<span class="instance-title">Stack analyser drifting</span>' in page
    found = client.get("/inbox?tab=candidate&q=analyser").get_data(as_text=True)
    assert "NC-B" in found and "NC-A" not in found
