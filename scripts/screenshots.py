"""Screenshots of the web UI for the README, taken in Debian's headless chromium on a fresh demo database.

Run after scripts/setup_browser.sh: `.venv/bin/python scripts/screenshots.py`. It builds the demo plant
(`carbonflow demo-data`: a Shanxi cement plant's year) in a temporary folder, serves the web UI on a free
loopback port, signs in as the carbon management body and writes PNGs to docs/screenshots/.
"""
from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.browser.live: the same server and browser as the browser tests

from sqlalchemy import select  # noqa: E402

from demo import plant  # noqa: E402
from demo.story import BODY, STAFF_ENERGY  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.models import HumanTask  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import deployments, users  # noqa: E402
from tests.browser.live import VIEWPORT, launch, serving  # noqa: E402
from webui.app import create_app  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WHO = BODY  # the carbon management body: many open tasks, and it reads every instance
MAX_HEIGHT = 1400  # a long page is cut there: the README needs its top, not every row


def build_demo(directory: Path) -> tuple[Database, dict[str, str]]:
    """A migrated database with processes/ deployed and the demo plant's year; the demo users' passwords."""
    url = f"sqlite:///{directory / 'carbonflow.db'}"
    migrate(url)
    db = Database(url)
    with db.transaction() as session:
        users.seed_roles(session)
        deployments.deploy_directory(session, directory=ROOT / "processes", actor="system")
    created, _ = plant.seed(db)
    return db, {user.username: user.password for user in created}


def correction_under_way(db: Database) -> int:
    """The demo's corrective action whose correction is being carried out (steps done, one current)."""
    with db.reading() as session:
        instance_id = session.scalar(select(HumanTask.instance_id).where(
            HumanTask.process_id == "corrective_action", HumanTask.name == "implement_correction",
            HumanTask.status == "ready", HumanTask.assignee == STAFF_ENERGY))
    assert instance_id is not None, "the demo data has no corrective action under way"
    return instance_id


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/sign-in")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("button.primary").click()
    page.wait_for_url("**/inbox**")


def shoot(page: Any, path: str, name: str, ready: str = "main") -> None:
    """Open the page, wait until `ready` is drawn, and save its top part as docs/screenshots/<name>."""
    page.goto(path)
    page.wait_for_selector(ready)
    height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
    page.screenshot(path=str(OUT / name), full_page=True,
                    clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": height})
    print(f"wrote {(OUT / name).relative_to(ROOT)}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # a page's parallel requests are not news here
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        print("building the demo database (a Shanxi cement plant's year)…")
        db, passwords = build_demo(Path(tmp))
        settings = Settings(database_url=str(db.engine.url), processes_dir=ROOT / "processes",
                            data_dir=Path(tmp), secret_key="screenshots")
        app = create_app(settings, db=db, SESSION_COOKIE_SECURE=False)  # plain HTTP on loopback
        with serving(app) as url, sync_playwright() as playwright:
            browser = launch(playwright)
            page = browser.new_context(base_url=url, viewport=VIEWPORT).new_page()
            sign_in(page, WHO, passwords[WHO])
            shoot(page, "/inbox?tab=candidate", "inbox.png", "table.tasks")
            shoot(page, f"/instances/{correction_under_way(db)}", "instance.png", "#diagram g.djs-shape.current")
            shoot(page, "/dashboard", "dashboard.png", "figure.chart svg")
            shoot(page, f"/audit/nonconformities/{correction_under_way(db)}", "nonconformity-trace.png",
                  "ol.timeline")
            browser.close()
        db.dispose()


if __name__ == "__main__":
    main()
