"""The pages people work from fit a phone (390×844): no horizontal scroll, in Chinese and in English."""
from __future__ import annotations

import pytest

from tests.browser.live import PHONE
from tests.factories import PASSWORD, complete, open_task, start_corrective_action, walk_to_approval


def _wider_than_the_screen(page, paths: list[str]) -> dict[str, int]:
    wide = {}
    for path in paths:
        assert page.goto(path).status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            wide[path] = width
    return wide


def _signed_in(browser, base_url, username: str, lang: str):
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/sign-in")
    if lang == "en":
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("html[lang=en]")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the sign-in page"
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url("**/inbox**")
    return context, page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_pages_have_no_horizontal_scroll_at_phone_width(browser, base_url, db, lang):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    start_corrective_action(db, actor="staff_prod")
    task = open_task(db, nc, "analyse_cause")
    context, page = _signed_in(browser, base_url, "head_prod", lang)
    wide = _wider_than_the_screen(page, ["/inbox", "/inbox?tab=candidate", "/inbox?tab=done", f"/tasks/{task.id}",
                                         f"/instances/{nc}", "/dashboard", "/notifications"])
    context.close()
    assert wide == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_management_pages_have_no_horizontal_scroll_at_phone_width(browser, base_url, db, lang):
    approval = walk_to_approval(db)
    context, page = _signed_in(browser, base_url, "gm", lang)
    wide = _wider_than_the_screen(page, ["/approvals", f"/tasks/{approval.id}", f"/instances/{approval.instance_id}",
                                         "/dashboard", "/work", "/audit", "/audit/nonconformities", "/audit/records"])
    context.close()
    assert wide == {}
