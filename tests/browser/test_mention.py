"""A comment with an @mention in the browser: the mentioned user's bell counts it, and its link opens the task at it."""
from __future__ import annotations

import re

from tests.browser.live import VIEWPORT
from tests.factories import PASSWORD, complete, open_task, start_corrective_action


def _signed_in(browser, base_url, username):
    """A tab of its own (its own cookies) signed in as the user, on the inbox."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    tab.goto("/sign-in")
    tab.locator("input[name=username]").fill(username)
    tab.locator("input[name=password]").fill(PASSWORD)
    tab.locator("button.primary").click()
    tab.wait_for_url("**/inbox**")
    return tab


def _unread(tab) -> int:
    """What the bell says, in sight: the count beside it (none shown when nothing is unread)."""
    count = tab.locator("header .bell .count")
    return int(count.inner_text()) if count.count() else 0


def test_a_mention_raises_the_bell_of_the_mentioned_and_its_link_leads_to_the_task(db, browser, base_url):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    mentioned = _signed_in(browser, base_url, "head_prod")
    author = _signed_in(browser, base_url, "body")
    try:
        assert _unread(mentioned) == 0

        author.goto(f"/tasks/{task.id}")
        author.locator("#comment-body").fill("@head_prod 请确认 2 号窑燃气表的根本原因")
        author.locator("form.comment-form button").click()
        author.wait_for_url(re.compile(rf"/tasks/{task.id}#comment-\d+$"))
        anchor = author.url.split("#")[1]
        posted = author.locator(f"#{anchor}")
        assert "请确认 2 号窑燃气表的根本原因" in posted.inner_text()
        assert posted.locator(".mention").inner_text() == "@head_prod"

        mentioned.reload()
        assert _unread(mentioned) == 1
        assert "1" in mentioned.locator("header .bell").get_attribute("aria-label")
        mentioned.locator("header .bell").click()
        mentioned.wait_for_url("**/notifications")
        item = mentioned.locator(".notification.unread")
        assert item.count() == 1 and "请确认 2 号窑燃气表的根本原因" in item.inner_text()
        item.locator("a.headline").click()
        mentioned.wait_for_url(f"**/tasks/{task.id}#{anchor}")
        assert mentioned.locator(f"#{anchor}").is_visible()
        assert _unread(mentioned) == 0  # opened through its link: read
    finally:
        mentioned.context.close()
        author.context.close()
