"""Task forms in the browser: a table left empty, rows added and removed, Enter that sends nothing, and the focus on
the error summary after a refused submit."""
from __future__ import annotations

from engine.models import HumanTask
from tests.factories import complete, open_task, start_corrective_action
from tests.processes.test_communication import acknowledge_all, assess_data, record, record_data


def _communication_at_filing(db) -> HumanTask:
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("production"))
    acknowledge_all(db, com)
    return open_task(db, com, "file_record")


def _fill_the_record(page) -> None:
    page.locator("input[name=conveyed_in_time]").check()
    page.locator("input[name=record_reference]").fill("COM-2027-011")
    page.locator("input[name=records_complete]").check()


def test_the_communication_record_is_filed_with_its_nonconformity_table_left_empty(db, sign_in):
    task = _communication_at_filing(db)
    page = sign_in("body2")
    page.goto(f"/tasks/{task.id}")
    table = page.locator("fieldset[data-name=nonconformities]")
    assert table.locator("tbody tr").count() == 0 and table.locator(".no-rows").is_visible()
    _fill_the_record(page)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url("**/inbox**")
    with db.reading() as session:
        done = session.get(HumanTask, task.id)
        assert (done.status, done.submitted_data["nonconformities"]) == ("completed", [])


def test_rows_are_added_removed_down_to_none_and_added_again_and_a_blank_one_is_not_sent(db, sign_in):
    task = _communication_at_filing(db)
    page = sign_in("body2")
    page.goto(f"/tasks/{task.id}")
    table = page.locator("fieldset[data-name=nonconformities]")
    add = table.get_by_role("button", name="添加一行")
    add.click()
    add.click()
    rows = table.locator("tbody tr")
    assert rows.count() == 2 and not table.locator(".no-rows").is_visible()
    assert rows.nth(1).locator("input[name='nonconformities[1][title]']").count() == 1
    assert page.evaluate("document.activeElement.name") == "nonconformities[1][title]"  # the new row's first cell
    rows.nth(0).locator(".remove-row").click()
    rows.nth(0).locator(".remove-row").click()
    assert rows.count() == 0 and table.locator(".no-rows").is_visible()
    add.click()
    assert table.locator("input[name='nonconformities[2][title]']").count() == 1  # a fresh index, never reused
    assert table.locator("select[name='nonconformities[2][clause]'] option[value='7.4.3']").count() == 1

    _fill_the_record(page)  # the row added last stays blank: it is left out, not refused
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url("**/inbox**")
    with db.reading() as session:
        assert session.get(HumanTask, task.id).submitted_data["nonconformities"] == []


def test_a_row_filled_in_is_sent_and_its_clause_picked_by_title(db, sign_in):
    task = _communication_at_filing(db)
    page = sign_in("body2")
    page.goto(f"/tasks/{task.id}")
    table = page.locator("fieldset[data-name=nonconformities]")
    table.get_by_role("button", name="添加一行").click()
    table.locator("input[name='nonconformities[0][title]']").fill("Bulletin late")
    table.locator("textarea[name='nonconformities[0][description]']").fill("Reached the kiln shift a week late.")
    table.locator("select[name='nonconformities[0][clause]']").select_option(label="7.4.1 内外部沟通")
    table.locator("select[name='nonconformities[0][department]']").select_option("production")
    table.locator("input[name='nonconformities[0][detected_on]']").fill("2026-11-30")
    _fill_the_record(page)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url("**/inbox**")
    with db.reading() as session:
        [row] = session.get(HumanTask, task.id).submitted_data["nonconformities"]
    assert (row["title"], row["clause"], row["department"]) == ("Bulletin late", "7.4.1", "production")


def test_enter_in_a_text_field_does_not_complete_the_task(db, sign_in):
    task = _communication_at_filing(db)
    page = sign_in("body2")
    page.goto(f"/tasks/{task.id}")
    _fill_the_record(page)
    page.locator("input[name=record_reference]").press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith(f"/tasks/{task.id}")
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "ready"
    # Without the script, the form's disabled first button still keeps Enter from submitting it.
    page.evaluate("document.querySelectorAll('form.task-fields').forEach(f => f.classList.remove('task-fields'))")
    page.locator("input[name=record_reference]").press("Enter")
    page.wait_for_timeout(500)
    with db.reading() as session:
        assert session.get(HumanTask, task.id).status == "ready"


def test_after_a_refused_submit_the_focus_is_on_the_error_summary_whose_links_lead_to_the_fields(db, sign_in):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    page = sign_in("body")
    page.goto(f"/tasks/{task.id}")
    page.locator("textarea[name=consequences]").fill("\u200b")
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    assert "只有空格或不可见字符" in summary.inner_text()
    summary.locator("a[href='#f-consequences']").click()
    assert page.evaluate("document.activeElement.name") == "consequences"
    field = page.locator("#f-consequences")
    assert field.get_attribute("aria-invalid") == "true"
    assert page.locator(f"#{field.get_attribute('aria-describedby')}").inner_text() != ""
