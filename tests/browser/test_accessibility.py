"""axe-core finds no serious or critical WCAG 2.1 AA violation on the pages people work from, in either language;
a skip link leads past the top bar to the content."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.axe import serious_violations
from tests.browser.live import VIEWPORT
from tests.factories import complete, open_task, start_corrective_action, walk_to_approval


@pytest.fixture
def page(browser, base_url) -> Iterator[Any]:
    """A tab that lets the test inject axe-core past the pages' Content-Security-Policy (the pages stay as served)."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT, bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _violations(page, paths: list[str]) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        assert page.goto(path).status == 200, path
        if problems := serious_violations(page):
            found[path] = problems
    return found


def _english(page) -> None:
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sign_in_page_has_no_serious_violation(page, lang):
    page.goto("/sign-in")
    if lang == "en":
        _english(page)
    assert serious_violations(page) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_staff_pages_have_no_serious_violation(db, page, sign_in, lang):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    sign_in("head_prod")
    if lang == "en":
        _english(page)
    page.goto(f"/tasks/{task.id}")
    page.get_by_role("button", name="提交" if lang == "zh" else "Submit", exact=True).click()
    page.wait_for_selector(".error-summary")  # the refused form, with its errors marked
    refused = serious_violations(page)
    found = _violations(page, ["/inbox", "/inbox?tab=done", f"/tasks/{task.id}", f"/instances/{nc}", "/dashboard",
                               "/notifications", "/start", "/start/corrective_action", "/account/password"])
    assert (refused, found) == ([], {})


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_management_and_auditor_pages_have_no_serious_violation(db, page, sign_in, lang):
    approval = walk_to_approval(db)
    sign_in("gm")
    if lang == "en":
        _english(page)
    found = _violations(page, ["/approvals", f"/tasks/{approval.id}", f"/instances/{approval.instance_id}", "/work",
                               "/audit", "/audit/nonconformities", "/audit/records"])
    assert found == {}


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(page, sign_in):
    sign_in("staff_prod")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "跳到正文"
    assert page.locator("a.skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"


def test_admin_pages_have_no_serious_violation(db, page, sign_in):
    start_corrective_action(db)
    sign_in("admin")
    found = _violations(page, ["/processes", "/processes/corrective_action", "/processes/corrective_action/diff",
                               "/processes/corrective_action/v1/diagram", "/modeler", "/instances", "/incidents",
                               "/schedules", "/users", "/departments", "/roles"])
    assert found == {}
