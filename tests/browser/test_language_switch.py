"""The language switch at the top turns the pages from Chinese to English and back, and the choice stays."""
from __future__ import annotations


def test_the_switch_turns_the_pages_to_english_and_back_to_chinese(page, sign_in):
    page.goto("/sign-in")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "登录"
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.locator("h1").inner_text() == "Sign in"

    sign_in("body")  # the choice made before signing in stays
    assert page.locator("h1").inner_text() == "Inbox"
    page.get_by_role("link", name="Start", exact=True).click()
    assert page.locator("h1").inner_text() == "Start a process"

    page.get_by_role("button", name="中文").click()
    page.wait_for_selector("html[lang=zh-CN]")
    assert page.locator("h1").inner_text() == "发起流程"
    assert page.get_by_role("button", name="退出").is_visible()
