"""Browser tests: the web UI served over HTTP on the test database, driven in Debian's headless chromium.

They skip where /usr/bin/chromium is missing (install it with scripts/setup_browser.sh), except when
CARBONFLOW_REQUIRE_BROWSER=1 (CI sets it), where a missing browser fails them instead.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.config import Settings
from tests.browser.live import CHROMIUM, VIEWPORT, launch, serving
from tests.factories import PASSWORD
from webui.app import create_app


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless chromium for the run."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run scripts/setup_browser.sh (as root) for the browser tests"
        if os.environ.get("CARBONFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " (CARBONFLOW_REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def base_url(db, tmp_path) -> Iterator[str]:
    """The web UI on the test database, served on a free loopback port (plain HTTP: no secure cookies)."""
    settings = Settings(database_url=str(db.engine.url), processes_dir=tmp_path, data_dir=tmp_path,
                        secret_key="test-secret")
    with serving(create_app(settings, db=db, SESSION_COOKIE_SECURE=False)) as url:
        yield url


@pytest.fixture
def page(browser, base_url) -> Iterator[Any]:
    """A fresh browser tab (its own cookies) on the served UI; relative addresses go to it."""
    context = browser.new_context(base_url=base_url, viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def sign_in(page) -> Callable[..., Any]:
    """sign_in(username) signs the tab in through the sign-in form and returns it on the inbox."""
    def signed_in(username: str, password: str = PASSWORD) -> Any:
        page.goto("/sign-in")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("button.primary").click()
        page.wait_for_url("**/inbox**")
        return page
    return signed_in
