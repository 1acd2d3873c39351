"""Top management approves in the browser, signing with the password: a wrong one is refused, the right one signs."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent, HumanTask
from tests.factories import walk_to_approval


def test_top_management_signs_an_approval_only_with_the_right_password(db, sign_in):
    task = walk_to_approval(db)
    page = sign_in("gm")
    page.get_by_role("link", name="审批", exact=True).click()
    page.wait_for_url("**/approvals")
    page.locator(f'a[href^="/tasks/{task.id}?"]').click()
    page.wait_for_url(f"**/tasks/{task.id}?from=approvals")
    page.locator("input[name=approved]").check()
    page.locator("textarea[name=approval_comment], input[name=approval_comment]").fill("同意调整后的基准")
    page.locator("input[name=signature_password]").fill("not my password")
    page.get_by_role("button", name="签署并提交").click()

    page.wait_for_selector(".flash.error")
    assert "密码不正确，因此未签署任何内容" in page.locator(".flash.error").inner_text()
    assert page.locator("input[name=approved]").is_checked()  # what was entered is kept, to retype the password
    assert page.locator("input[name=signature_password]").input_value() == ""
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "ready"
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "signature")) is None

    page.locator("input[name=signature_password]").fill("correct horse battery")
    page.get_by_role("button", name="签署并提交").click()
    page.wait_for_url("**/approvals")  # back to the queue, for the next decision, with a receipt
    receipt = page.locator(".flash.success").inner_text()
    assert "任务已完成。" in receipt and "已签署" in receipt and "批准" in receipt
    assert page.locator(f'a[href^="/tasks/{task.id}"]').count() == 0
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "completed"
        signature = session.scalar(select(AuditEvent).where(AuditEvent.action == "signature"))
        assert (signature.actor, signature.task_id, signature.data["meaning"]) == ("gm", task.id, "approved")
