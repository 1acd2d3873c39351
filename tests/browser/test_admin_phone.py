"""The admin pages fit a phone (390 px): nothing but a table's own scroller is wider than the screen."""
from __future__ import annotations

from tests.factories import PASSWORD, start_corrective_action

PAGES = ["/processes", "/processes/corrective_action", "/processes/corrective_action/diff",
         "/processes/corrective_action/v1/diagram", "/modeler", "/instances", "/incidents", "/schedules", "/users",
         "/departments", "/roles"]


def test_the_admin_pages_have_no_horizontal_scroll_at_phone_width(browser, base_url, db):
    start_corrective_action(db)
    context = browser.new_context(base_url=base_url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/sign-in")
    page.locator("input[name=username]").fill("admin")
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url("**/inbox**")
    wide = {}
    for path in PAGES:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    context.close()
    assert wide == {}
