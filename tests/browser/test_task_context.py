"""A task shows the record it works on; a task sent back shows why and starts from its previous entries."""
from __future__ import annotations

from tests.factories import complete, open_task, start_corrective_action
from tests.processes.test_baseline_adjustment import assessment, decision, recalculation
from tests.processes.test_baseline_adjustment import start as start_baseline


def test_evaluating_the_consequences_shows_the_nonconformity_title_and_description(db, sign_in):
    nc = start_corrective_action(db, title="2号窑燃气表超期未校准", description="内审发现燃气表校准证书已过期 14 个月。")
    task = open_task(db, nc, "evaluate_consequences")
    page = sign_in("body")
    page.goto(f"/tasks/{task.id}")
    record = page.locator("section.record")
    assert record.locator("h2").inner_text() == "本任务所处理的记录"
    raised = record.locator("article.record-step[data-element=start]")
    assert "提出不符合项" in raised.locator("h3").inner_text()
    text = raised.locator("dl.readout").inner_text()
    assert "2号窑燃气表超期未校准" in text and "内审发现燃气表校准证书已过期 14 个月。" in text
    assert "生产部" in text and "production" not in text  # the department by its name
    assert record.is_visible() and page.locator("form textarea[name=consequences]").is_visible()


def test_a_rejected_baseline_comes_back_with_the_comment_shown_and_the_figures_prefilled(db, sign_in):
    bl = start_baseline(db)
    complete(db, bl, "assess_significance", "body", assessment())
    complete(db, bl, "recalculate_baseline", "staff_prod", recalculation("6900"))
    complete(db, bl, "approve_baseline", "gm", decision(False))
    task = open_task(db, bl, "recalculate_baseline")
    page = sign_in("staff_prod")
    page.goto(f"/tasks/{task.id}")
    back = page.locator("section.sent-back")
    assert back.is_visible() and "退回自" in back.locator("h2").inner_text()
    assert "Use 2024 grinding data." in back.locator("dl.readout").inner_text()
    assert page.locator("input[name='new_baseline[0][emissions]']").input_value() == "6900"
    assert page.locator("textarea[name=recalculation_method], input[name=recalculation_method]").first.input_value() \
        == "GB/T 32151.8, 2024 data with Line 3 included"
