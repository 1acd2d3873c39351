"""Task forms as people fill them in: tables that may stay empty, refusals in the reader's language with a linked
summary, labels in English when asked, pickers and dates that offer only what the server accepts, and files that
survive a draft or a refused submit."""
from __future__ import annotations

import re
from io import BytesIO
from typing import Any

import pytest
from flask_babel import force_locale
from sqlalchemy import update
from werkzeug.datastructures import MultiDict

import forms
from engine.models import HumanTask
from engine.people import SessionDirectory
from engine.read import queries
from engine.services import evidence
from forms import json_schema
from tests.factories import (
    analyse_data,
    complete,
    days_ahead,
    open_task,
    start_corrective_action,
)
from tests.processes.test_baseline_adjustment import assessment, recalculation
from tests.processes.test_baseline_adjustment import start as start_baseline
from tests.processes.test_communication import acknowledge_all, assess_data, record, record_data
from tests.web.conftest import csrf_token
from webui.form_errors import CHOICES, ROWS, TEXT, say
from webui.tasks import parse_form

CJK = re.compile(r"[\u3400-\u9fff]")


def as_form(data: dict[str, Any]) -> MultiDict:
    """Data as the task page posts it: rows as name[i][column], ticked boxes as "on" with their marker."""
    posted = MultiDict()
    for name, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                for column, cell in row.items():
                    posted.add(f"{name}[{index}][{column}]", _cell(cell))
        elif isinstance(value, list):
            for item in value:
                posted.add(name, item)
        elif isinstance(value, bool):
            posted.add(f"{name}__present", "1")
            if value:
                posted.add(name, "on")
        else:
            posted.add(name, _cell(value))
    return posted


def _cell(value: Any) -> str:
    return "" if value is None else "on" if value is True else str(value)


def _page(client, task_id: int) -> str:
    return client.get(f"/tasks/{task_id}").get_data(as_text=True)


def _post(client, task_id: int, data: MultiDict, action: str = "complete", **files: Any):
    page = _page(client, task_id)
    data = MultiDict(data)
    data.add("csrf_token", csrf_token(page))
    data.add("action", action)
    for name, upload in files.items():
        data.add(name, upload)
    return client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")


def _english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})


def _form_part(page: str) -> str:
    return page[page.index('<form method="post" enctype'):page.index("</form>", page.index('class="task-fields"'))]


def _communication_at_filing(db) -> int:
    com = record(db, record_data())
    complete(db, com, "assess", "body", assess_data("production"))
    acknowledge_all(db, com)
    return open_task(db, com, "file_record").id


FILED = {"conveyed_in_time": True, "record_reference": "COM-2027-011", "records_complete": True}
BLANK_NONCONFORMITY = {"title": "", "description": "", "clause": "", "department": "", "detected_on": ""}


# 1. Tables that may be left empty

def test_an_optional_table_is_shown_without_rows_and_with_a_blank_row_to_copy(db, sign_in):
    task_id = _communication_at_filing(db)
    page = _page(sign_in("body2"), task_id)
    table = page[page.index('<fieldset class="rows" data-name="nonconformities"'):page.index("</fieldset>")]
    assert "<tbody>\n      </tbody>" in table and '<p class="hint no-rows">' in table
    assert '<template class="row-template">' in table and "nonconformities[__INDEX__][title]" in table
    assert 'class="add-row"' in table


def test_the_communication_record_files_with_its_nonconformity_table_left_empty(db, sign_in):
    task_id = _communication_at_filing(db)
    response = _post(sign_in("body2"), task_id, as_form(FILED))
    assert response.status_code == 302, response.get_data(as_text=True)
    with db.reading() as session:
        assert session.get(HumanTask, task_id).submitted_data["nonconformities"] == []


def test_a_blank_row_is_dropped_not_refused(db, sign_in):
    task_id = _communication_at_filing(db)
    response = _post(sign_in("body2"), task_id, as_form({**FILED, "nonconformities": [BLANK_NONCONFORMITY]}))
    assert response.status_code == 302
    with db.reading() as session:
        assert session.get(HumanTask, task_id).submitted_data["nonconformities"] == []


def test_parse_form_drops_blank_rows_keeps_the_rest_in_order_and_gives_an_empty_table_as_a_list(db):
    with db.reading() as session:
        schema = json_schema("communication.file", SessionDirectory(session))
    posted = as_form({**FILED})
    for index, title in ((3, "Late"), (0, ""), (7, "Missing")):
        posted.update({f"nonconformities[{index}][title]": title, f"nonconformities[{index}][clause]": "",
                       f"nonconformities[{index}][detected_on]": "", f"nonconformities[{index}][description]": " "})
    assert [row["title"] for row in parse_form(schema, posted)["nonconformities"]] == ["Late", "Missing"]
    assert "clause" not in parse_form(schema, posted)["nonconformities"][0]  # an empty choice is left out
    assert parse_form(schema, as_form(FILED))["nonconformities"] == []


def test_a_whole_baseline_submits_without_declaring_a_level_not_applicable(db, sign_in):
    bl = start_baseline(db)
    complete(db, bl, "assess_significance", "body", assessment())
    task = open_task(db, bl, "recalculate_baseline")
    data = recalculation(new_baseline=[
        {"level": level, "object_name": name, "base_year": 2024, "emissions": "1", "intensity": "1",
         "intensity_unit": "t/t"} for level, name in (("enterprise", "Plant"), ("process", "Kiln"), ("equipment", "K2"))])
    response = _post(sign_in("staff_prod"), task.id, as_form({**data, "levels_not_applicable": []}))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]


def test_a_required_table_left_empty_is_refused_naming_it(db, sign_in):
    bl = start_baseline(db)
    task = open_task(db, bl, "assess_significance")
    client = sign_in("body")
    _english(client)
    data = {**assessment(), "old_baseline": [dict.fromkeys(assessment()["old_baseline"][0], "")]}
    response = _post(client, task.id, as_form(data))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Add at least one row to “Baseline in force (before adjustment)”." in page
    assert '<a href="#f-old_baseline">' in page and 'At least one row.' in page


# 2. Refusals in the reader's language

def test_refusals_on_the_chinese_page_are_chinese_not_marshmallows_english(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    bad = {**analyse_data(), "root_cause": "\u200b \u3000", "owner": "verifier", "correction_due": "2020-01-01",
           "preventive_measures": ""}
    page = _post(sign_in("head_prod"), task.id, as_form(bad)).get_data(as_text=True)
    assert "只有空格或不可见字符" in page and "此项必填" in page and "早于今天" in page and "不能选择" in page
    for english in ("Missing data for required field", "Length must be between", "Not a valid date",
                    "Must be one of", "is in the past", "cannot be chosen", "Only spaces"):
        assert english not in page


def test_a_page_says_marshmallows_messages_in_its_words_and_names_the_table(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert say("Missing data for required field.") == "Required."
            assert say("Missing data for required field.", ROWS, "Attendees") == "Add at least one row to “Attendees”."
            assert say("Shorter than minimum length 2.", ROWS, "Attendees") == "Add at least 2 rows to “Attendees”."
            assert say("Longer than maximum length 200.", TEXT) == "At most 200 characters."
            assert say("Shorter than minimum length 1.", CHOICES) == "Choose at least 1."
            assert say("Must be one of: process, equipment.") == "Choose one of the options offered."
            assert say("Not a valid date.") == "Not a date (year-month-day)."
        assert say("Missing data for required field.", ROWS, "Attendees") == "请在“Attendees”中至少添加一行。"
        assert say("Not a valid date.") == "不是日期（年-月-日）。"
        assert say("Required. 此项必填。") == "此项必填。"  # the page's language is Chinese


# 3. Labels in English

def test_every_form_reads_in_english_on_the_english_task_page(db, sign_in):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    client = sign_in("body")
    _english(client)
    chinese = {}
    for key in [k for k in forms.FORMS if not k.startswith("test.")]:
        with db.transaction() as session:
            session.execute(update(HumanTask).where(HumanTask.id == task.id).values(form_key=key))
        form = _form_part(_page(client, task.id))
        found = CJK.findall(re.sub(r"<[^>]+>", " ", form))
        if found:
            chinese[key] = "".join(found)[:40]
    assert chinese == {}


def test_the_whole_english_task_page_is_english_instructions_record_and_steps_included(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    client = sign_in("head_prod")
    _english(client)
    page = _page(client, task.id)
    main = page[page.index("<main"):page.index("</main>")]
    assert "Determine the severity and root cause" in main and "Raise a nonconformity" in main
    assert CJK.findall(re.sub(r"<[^>]+>", " ", main)) == []
    chinese = _page(sign_in("head_prod"), task.id)
    assert "确定不符合项的严重程度" in chinese and "Determine the severity" not in chinese
    assert "Raise a nonconformity" not in chinese[chinese.index("<main"):]


def test_start_forms_read_in_english_too(db, sign_in):
    client = sign_in("body")
    _english(client)
    for process in ("corrective_action", "communication", "baseline_adjustment", "policy_approval"):
        page = client.get(f"/start/{process}").get_data(as_text=True)
        form = page[page.index('<form method="post" class="task-fields"'):page.index("</form>")]
        assert CJK.findall(re.sub(r"<[^>]+>", " ", form)) == [], process


# 4. Pickers and dates offer what the server accepts

def test_the_owner_picker_leaves_out_the_auditor_and_the_admin_and_the_server_refuses_them(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    client = sign_in("head_prod")
    picker = _page(client, task.id).split('name="owner"')[1].split("</select>")[0]
    offered = re.findall(r'<option value="([^"]+)"', picker)
    assert "staff_prod" in offered and "verifier" not in offered and "admin" not in offered
    for owner in ("verifier", "admin"):
        response = _post(client, task.id, as_form({**analyse_data(), "owner": owner}))
        assert response.status_code == 422 and 'id="f-owner-error"' in response.get_data(as_text=True)


def test_date_inputs_show_their_bounds_and_clauses_their_titles(db, sign_in):
    page = sign_in("staff_prod").get("/start/corrective_action").get_data(as_text=True)
    detected = page.split('name="detected_on"')[1].split(">")[0]
    assert f'max="{days_ahead(0)}"' in detected and 'min="2000-01-01"' in detected
    assert '<option value="8.1.3" >8.1.3 数据质量管理</option>' in page


# 5. Files kept across a draft and a refused submit

def _closing(db) -> tuple[int, int]:
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "OK"})
    return nc, open_task(db, nc, "close_nonconformity").id


CLOSE = {"closure_summary": "Closed with evidence.", "records_complete": True}


def _attached(db, nc: int) -> list[str]:
    with db.reading() as session:
        return [e.file_name for e in queries.evidence_of(session, instance_id=nc)]


def test_a_file_chosen_before_saving_a_draft_is_kept_and_attached_at_completion(db, sign_in):
    nc, task_id = _closing(db)
    client = sign_in("body2")
    saved = _post(client, task_id, as_form({"closure_summary": "Half"}), "draft",
                  evidence=(BytesIO(b"%PDF record"), "record.pdf"))
    assert saved.status_code == 302
    page = _page(client, task_id)
    assert "record.pdf" in page and 'value="remove-file:' in page and "Half" in page
    assert _attached(db, nc) == []
    done = _post(client, task_id, as_form(CLOSE))  # the step needs evidence: the kept file is it
    assert done.status_code == 302, done.get_data(as_text=True)[-2000:]
    assert _attached(db, nc) == ["record.pdf"]


def test_a_file_chosen_for_a_refused_submit_is_kept_and_attached_when_it_goes_through(db, sign_in):
    nc, task_id = _closing(db)
    client = sign_in("body2")
    refused = _post(client, task_id, as_form({**CLOSE, "closure_summary": " "}),
                    evidence=(BytesIO(b"%PDF record"), "record.pdf"))
    assert refused.status_code == 422 and "record.pdf" in refused.get_data(as_text=True)
    assert _post(client, task_id, as_form(CLOSE)).status_code == 302
    assert _attached(db, nc) == ["record.pdf"]


def test_a_kept_file_is_removed_with_its_button_and_what_was_typed_is_saved(db, sign_in):
    nc, task_id = _closing(db)
    client = sign_in("body2")
    _post(client, task_id, as_form({}), "draft", evidence=(BytesIO(b"%PDF record"), "record.pdf"))
    with db.reading() as session:
        [kept] = evidence.draft_files(session.get(HumanTask, task_id))
    removed = _post(client, task_id, as_form({"closure_summary": "Typed"}), f"remove-file:{kept.id}")
    assert removed.status_code == 302
    page = _page(client, task_id)
    assert "record.pdf" not in page and "Typed" in page
    refused = _post(client, task_id, as_form(CLOSE))
    assert refused.status_code == 422 and "此步骤须附证据文件" in refused.get_data(as_text=True)


# 6. Accessibility of the form

def test_a_refused_form_leads_to_each_field_from_a_focusable_summary(db, sign_in):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    task = open_task(db, nc, "analyse_cause")
    page = _post(sign_in("head_prod"), task.id, as_form({**analyse_data(), "root_cause": "", "owner": ""})) \
        .get_data(as_text=True)
    summary = re.search(r'<div class="flash error error-summary"[^>]*>', page).group(0)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and 'id="error-summary"' in summary
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    links = re.findall(r'<a href="#(f-[^"]+)">', page)
    assert links == ["f-root_cause", "f-owner"] and set(links) <= ids
    for field in ("root_cause", "owner"):
        tag = re.search(rf'<[^>]+\bid="f-{field}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="f-{field}-error"' in tag
        assert f'id="f-{field}-error"' in page
    assert set(re.findall(r'<label for="([^"]+)"', page)) <= ids


def test_a_refused_table_cell_is_linked_from_the_summary_by_table_row_and_column(db, sign_in):
    task_id = _communication_at_filing(db)
    client = sign_in("body2")
    _english(client)
    row = {**BLANK_NONCONFORMITY, "title": "Bulletin late", "description": "A week late.", "clause": "99.9",
           "department": "production", "detected_on": days_ahead(2)}
    page = _post(client, task_id, as_form({**FILED, "nonconformities": [row]})).get_data(as_text=True)
    assert ('<a href="#f-nonconformities-0-detected_on">Nonconformities revealed, row 1: Detected on: '
            f"{days_ahead(2)} is in the future") in page
    assert '<a href="#f-nonconformities-0-clause">' in page
    cell = re.search(r'<input type="date" name="nonconformities\[0\]\[detected_on\]"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in cell and 'aria-describedby="f-nonconformities-0-detected_on-error"' in cell
    assert 'id="f-nonconformities-0-detected_on-error"' in page and 'value="Bulletin late"' in page


def test_the_first_submit_button_is_a_disabled_guard_so_enter_submits_nothing(db, sign_in):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    form = _form_part(_page(sign_in("body"), task.id))
    first = re.search(r"<button\b[^>]*>", form).group(0)
    assert 'type="submit"' in first and "disabled" in first and 'value="complete"' not in first


@pytest.mark.parametrize("path", ["/start/corrective_action"])
def test_the_start_form_has_the_guard_and_labelled_fields(sign_in, path):
    page = sign_in("staff_prod").get(path).get_data(as_text=True)
    form = page[page.index('<form method="post" class="task-fields"'):]
    assert "disabled" in re.search(r"<button\b[^>]*>", form).group(0)
    assert '<label for="f-title">' in page and 'id="f-title"' in page
