import os
from tests.browser.test_phone import _signed_in
from tests.factories import complete, open_task, start_corrective_action, walk_to_approval

def test_shots(browser, base_url, db):
    nc = start_corrective_action(db, actor="staff_prod")
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    approval = walk_to_approval(db)
    lang = os.environ.get("SHOT_LANG", "zh")
    for user, paths in [("head_prod", [f"/tasks/{task.id}", f"/instances/{nc}", "/dashboard", "/inbox?tab=done"]),
                        ("gm", ["/approvals", f"/tasks/{approval.id}", "/dashboard", "/work"])]:
        context, page = _signed_in(browser, base_url, user, lang)
        for path in paths:
            page.goto(path)
            name = (user + path).replace("/", "_").replace("?", "_")
            page.screenshot(path=f"/tmp/shots/{lang}{name}.png", full_page=True)
        context.close()
