"""The admin migrates running instances in the browser: chooses them, previews where each goes, moves those that can."""
from __future__ import annotations

from tests.engine.test_migrations import RENAMED, SOONER, _deploy
from tests.factories import FORM_DATA, complete, instance, open_task_names, start_corrective_action


def test_the_admin_previews_and_migrates_the_instance_that_can_move_and_sees_why_the_other_cannot(db, sign_in):
    movable = start_corrective_action(db, business_key="NC-MOVE")
    stuck = start_corrective_action(db, business_key="NC-STUCK")
    complete(db, stuck, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    _deploy(db, SOONER, "Evaluate within 3 days")
    _deploy(db, RENAMED, "Root cause")

    page = sign_in("admin")
    page.goto("/instances?process=corrective_action")
    for instance_id in (movable, stuck):
        page.locator(f'tr[data-instance="{instance_id}"] input[name=instance]').check()
    page.locator("input[name=to_version]").fill("3")
    page.locator("input[name=to_version]").press("Enter")  # Enter submits nothing: it would suspend them
    page.wait_for_timeout(300)
    assert page.url.endswith("/instances?process=corrective_action")
    assert instance(db, movable).status == "running" and instance(db, stuck).status == "running"
    page.get_by_role("button", name="预览所选实例的迁移").click()
    page.wait_for_selector("table.migration")
    assert page.locator(f'tr[data-instance="{movable}"]').get_attribute("class") == "movable"
    refused = page.locator(f'tr[data-instance="{stuck}"]')
    assert refused.get_attribute("class") == "refused"
    assert "analyse_cause 不在新版本中：请将其映射到新版本中存在的元素。" in refused.inner_text()

    page.locator("form[action$='/instances/migrate'] button.primary").click()
    page.wait_for_url("**/instances**")
    assert page.locator(".flash.success").count() == 1
    assert open_task_names(db, movable) == ["evaluate_consequences"]
    assert open_task_names(db, stuck) == ["analyse_cause"]  # left where it was
    page.goto(f"/instances/{movable}")
    assert page.locator("li[data-migration='1-3']").is_visible()
