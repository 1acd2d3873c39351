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


def _pdf(text: str) -> bytes:
    from io import BytesIO

    from reportlab.pdfgen import canvas
    buffer = BytesIO()
    sheet = canvas.Canvas(buffer)
    sheet.drawString(72, 720, text)
    sheet.save()
    return buffer.getvalue()


def test_the_document_approval_shows_the_pdf_inline_and_the_diff_against_the_replaced_version(db, sign_in):
    from engine.services import evidence
    from tests.engine.test_document_changes import _revision_at_approval

    task = _revision_at_approval(
        db, old_files=[evidence.Upload("procedure-A0.pdf", _pdf("Version A/0"), "application/pdf")],
        new_files=[evidence.Upload("procedure-B0.pdf", _pdf("Version B/0"), "application/pdf")])
    page = sign_in("gm")
    page.goto("/approvals")
    page.locator(f"a[href*='/tasks/{task.id}']").first.click()
    changes = page.locator("section.document-changes")
    assert "CF-MS-001 A/0" in changes.locator("h2").inner_text()
    rows = changes.locator("table.field-diff tbody tr")
    assert rows.count() == 2
    retention = rows.filter(has_text="保存期限")
    assert retention.locator("del").inner_text() == "10" and retention.locator("ins").inner_text() == "15"
    # The draft's file in the page, and the replaced version's beside it; each served inline as a PDF.
    frames = page.locator("iframe.preview")
    titles = [frames.nth(i).get_attribute("title") for i in range(frames.count())]
    assert "procedure-B0.pdf" in titles and "procedure-A0.pdf" in titles
    draft_frame = page.locator("section.record iframe.preview[title='procedure-B0.pdf']")
    assert draft_frame.is_visible()
    served = page.request.get(draft_frame.get_attribute("src"))
    assert served.status == 200 and served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("inline") and served.body().startswith(b"%PDF")
    # The reviewer's comment is on the page too.
    assert "Fit for use." in page.locator("section.record article[data-element=review_by_body]").inner_text()


def test_a_revised_text_document_shows_its_changed_lines(db, sign_in):
    from tests.engine.test_document_changes import NEW_TEXT, OLD_TEXT, _revision_at_approval, _text

    task = _revision_at_approval(db, old_files=_text("procedure-A0.md", OLD_TEXT),
                                 new_files=_text("procedure-B0.md", NEW_TEXT))
    page = sign_in("gm")
    page.goto(f"/tasks/{task.id}")
    diff = page.locator("section.document-changes pre.text-diff")
    assert diff.locator("span.removed").all_inner_texts() == ["− The carbon office checks monthly."]
    assert diff.locator("span.added").all_inner_texts() == [
        "+ The carbon office checks weekly.", "+ 3 Archive", "+ Ten years."]
