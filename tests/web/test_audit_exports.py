"""Exports read as well as the screen: Chinese by default and English on request, names instead of codes, numbers
and times typed in the spreadsheet, every PDF carrying its font and numbering its pages; the trail newest first,
on numbered pages."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from engine.read.labels import ACTIONS
from tests.factories import analyse_data, complete, start_corrective_action
from tests.unit.test_export_formats import not_embedded, pdf_fonts
from tests.web.conftest import csrf_token

PDF_EXPORTS = ("/audit/export/audit.pdf", "/audit/export/nonconformities.pdf", "/audit/export/trace-{nc}.pdf",
               "/audit/export/records.pdf")


@pytest.fixture
def nc(db):
    """A nonconformity three steps in: the trail holds its start and two completions."""
    case = start_corrective_action(db, business_key="NC-7", title="窑炉 2 号燃气表未校准")
    complete(db, case, "evaluate_consequences", "body")
    complete(db, case, "analyse_cause", "head_prod", analyse_data())
    return case


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _flat(pdf: bytes, lang: str = "zh") -> str:
    """The PDF's text with the lines a narrow cell wraps joined again (Chinese without a space between)."""
    return _text(pdf).replace("\n", " " if lang == "en" else "")


def _english(client) -> None:
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})


def test_every_pdf_export_embeds_each_font_it_uses_and_numbers_its_pages(nc, sign_in):
    client = sign_in("verifier")
    for url in PDF_EXPORTS:
        for lang, page_one in (("zh", r"第 1 页 / 共 (\d+) 页"), ("en", r"Page 1 of (\d+)")):
            response = client.get(url.format(nc=nc) + f"?lang={lang}")
            assert response.status_code == 200, url
            assert pdf_fonts(response.data) and not_embedded(response.data) == [], url
            pages = len(PdfReader(io.BytesIO(response.data)).pages)
            assert re.search(page_one, _text(response.data)).group(1) == str(pages), (url, lang)


def test_the_audit_trail_pdf_is_in_chinese_by_default_with_names_instead_of_codes(nc, sign_in):
    client = sign_in("verifier")
    chinese = _flat(client.get(f"/audit/export/audit.pdf?instance={nc}").data)
    for words in ("CarbonFlow 审计追踪", "操作人", "审计链校验：完整", "完成任务", "发起流程", "Head_Prod",
                  "纠正措施 · NC-7 · 窑炉 2 号燃气表未校准", "分析原因并制定纠正措施", "严重程度：较大"):
        assert words in chinese, words
    for code in ("complete", "head_prod", "corrective_action", "analyse_cause"):
        assert not re.search(rf"(?<![\w.]){code}(?![\w.])", chinese), code
    english = _flat(client.get(f"/audit/export/audit.pdf?instance={nc}&lang=en").data, "en")
    for words in ("CarbonFlow audit trail", "Actor", "Audit chain: verified intact", "Completed the task",
                  "Corrective action · NC-7", "Severity: Major"):
        assert words in english, words
    assert "操作人" not in english


def test_the_register_trace_and_records_pdfs_are_in_chinese_by_default_and_english_on_request(nc, sign_in, db):
    complete(db, nc, "implement_correction", "staff_prod")
    complete(db, nc, "review_effectiveness", "body", {"effective": True, "review_comment": "稳定。"})
    complete(db, nc, "close_nonconformity", "body")
    client = sign_in("verifier")
    expected = {"/audit/export/nonconformities.pdf": (("不符合项台账", "发现日期", "内部审核", "生产部", "已关闭"),
                                                      ("nonconformity register", "Detected on", "Internal audit",
                                                       "Production", "Closed")),
                f"/audit/export/trace-{nc}.pdf": (("不符合项追溯", "时间线", "原因分析", "有效性评审（第 1 轮）：有效"),
                                                  ("nonconformity trace", "Timeline", "Effectiveness review (round 1)",
                                                   ": effective")),
                "/audit/export/records.pdf": (("按条款的记录", "不符合项的记录", "纠正措施", "已完成", "Body"),
                                              ("records by clause", "NC records", "Corrective action",
                                               "Completed", "Body"))}
    for url, (chinese, english) in expected.items():
        zh, en = _flat(client.get(url).data), _flat(client.get(url + "?lang=en").data, "en")
        assert [w for w in chinese if w not in zh] == [], url
        assert [w for w in english if w not in en] == [], url
        assert "corrective_action" not in zh + en and "closed_late" not in zh + en, url
    assert " · " in _text(client.get(f"/audit/export/trace-{nc}.pdf").data)  # the middle dot renders


def test_the_page_s_language_is_the_export_s_unless_the_link_names_one(nc, sign_in):
    client = sign_in("verifier")
    _english(client)
    assert "CarbonFlow audit trail" in _text(client.get("/audit/export/audit.pdf").data)
    assert "CarbonFlow 审计追踪" in _text(client.get("/audit/export/audit.pdf?lang=zh").data)
    page = client.get("/audit").get_data(as_text=True)
    assert 'href="/audit/export/audit.pdf?lang=en"' in page


def test_xlsx_numbers_are_numeric_and_times_are_dates(nc, sign_in):
    client = sign_in("verifier")
    sheet = load_workbook(io.BytesIO(client.get("/audit/export/audit.xlsx").data)).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = [c for c in sheet[2]]
    seq, local, utc = (row[header.index(h)] for h in ("序号", "时间（本地）", "时间（UTC）"))
    assert isinstance(seq.value, int) and seq.data_type == "n"
    assert isinstance(local.value, datetime) and local.is_date and local.number_format == "yyyy-mm-dd hh:mm:ss"
    assert (local.value - utc.value).total_seconds() == 8 * 3600  # the plant's clock beside UTC
    assert row[header.index("操作")].value in {zh for zh, _en in ACTIONS.values()}

    register = load_workbook(io.BytesIO(client.get("/audit/export/nonconformities.xlsx").data)).worksheets[0]
    header = [c.value for c in register[1]]
    row = [c for c in register[2]]
    found = row[header.index("发现日期")]
    assert found.is_date and found.value.date() == date(2026, 11, 20) and found.number_format == "yyyy-mm-dd"
    assert row[header.index("时长（天）")].data_type == "n" and row[header.index("编号")].value == nc
    assert row[header.index("负责人")].value == "Staff_Prod" and row[header.index("部门")].value == "生产部"


def test_the_trail_and_its_export_list_the_newest_event_first(nc, sign_in):
    client = sign_in("verifier")
    page = client.get(f"/audit?instance={nc}").get_data(as_text=True)
    assert [int(s) for s in re.findall(r'<tr data-seq="(\d+)"', page)] == sorted(
        map(int, re.findall(r'<tr data-seq="(\d+)"', page)), reverse=True)
    text = client.get(f"/audit/export/audit.csv?instance={nc}&lang=en").data.decode("utf-8-sig")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("# ")))
    assert [r["Action code"] for r in rows] == ["complete", "complete", "start"]
    assert [int(r["#"]) for r in rows] == sorted((int(r["#"]) for r in rows), reverse=True)


def test_the_trail_page_shows_actions_people_and_instances_by_name_with_their_codes_beside(nc, sign_in):
    client = sign_in("verifier")
    html = client.get(f"/audit?instance={nc}").get_data(as_text=True)
    body = html.split("<tbody>", 1)[1]
    assert "完成任务" in body and "发起流程" in body and "Head_Prod" in body
    assert "纠正措施 · NC-7" in body and "分析原因并制定纠正措施" in body
    assert '<small class="code">complete</small>' in body and '<small class="code">head_prod</small>' in body
    assert '<option value="complete" selected' not in html and '>完成任务</option>' in html  # the action filter
    _english(client)
    english = client.get(f"/audit?instance={nc}").get_data(as_text=True).split("<tbody>", 1)[1]
    assert "Completed the task" in english and "Corrective action · NC-7" in english


def test_a_long_trail_is_on_numbered_pages_with_first_previous_next_and_last(nc, sign_in, monkeypatch):
    from webui import audit as audit_pages

    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 1)
    client = sign_in("verifier")
    _english(client)
    first = client.get(f"/audit?instance={nc}").get_data(as_text=True)
    assert "Page 1 of 3" in first and f'href="/audit?page=2&amp;instance={nc}"' in first
    middle = client.get(f"/audit?instance={nc}&page=2").get_data(as_text=True)
    assert "Page 2 of 3" in middle and '<span class="current" aria-current="page">2</span>' in middle
    for rel, page in (("first", 1), ("prev", 1), ("next", 3), ("last", 3)):
        assert f'href="/audit?page={page}&amp;instance={nc}" rel="{rel}"' in middle, rel
    seqs = [re.findall(r'<tr data-seq="(\d+)"', client.get(f"/audit?instance={nc}&page={p}").get_data(as_text=True))
            for p in (1, 2, 3)]
    assert [int(s[0]) for s in seqs] == sorted((int(s[0]) for s in seqs), reverse=True)
    beyond = client.get(f"/audit?instance={nc}&page=99").get_data(as_text=True)
    assert "Page 3 of 3" in beyond and re.findall(r'<tr data-seq="(\d+)"', beyond) == seqs[2]
