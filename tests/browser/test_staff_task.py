"""Staff work a task in the browser: the inbox, a refused submission shown inline with the entries kept, then done."""
from __future__ import annotations

from engine.models import HumanTask
from tests.factories import analyse_data, complete, open_task, start_corrective_action


def test_staff_corrects_a_refused_form_and_the_completed_task_leaves_the_inbox(db, sign_in):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    task = open_task(db, nc, "implement_correction")

    page = sign_in("staff_prod")
    assert page.locator("h1").inner_text() == "待办"
    page.get_by_role("link", name="实施纠正措施").click()
    page.wait_for_url(f"**/tasks/{task.id}")
    page.locator("textarea[name=actions_taken]").fill("2 号窑燃气表已校准")
    page.locator("input[name=completed_on]").fill("2026-11-28")
    page.get_by_role("button", name="提交", exact=True).click()  # the evidence description left empty

    page.wait_for_selector(".flash.error")
    assert "请更正下面标出的字段" in page.locator(".flash.error").inner_text()
    refused = page.locator(".field.has-error")
    assert refused.count() == 1 and refused.locator("textarea[name=evidence_description]").count() == 1
    assert refused.locator(".field-error").is_visible()
    assert page.locator("textarea[name=actions_taken]").input_value() == "2 号窑燃气表已校准"
    assert page.locator("input[name=completed_on]").input_value() == "2026-11-28"

    page.locator("textarea[name=evidence_description]").fill("校准证书 2026-118")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url("**/inbox?done=*")
    assert "任务已完成。" in page.locator(".flash.success").inner_text()
    assert page.locator(f'a[href="/tasks/{task.id}"]').count() == 0
    with db.reading() as session:
        done = session.get(HumanTask, task.id)
        assert (done.status, done.completed_by) == ("completed", "staff_prod")
        assert done.submitted_data["evidence_description"] == "校准证书 2026-118"
