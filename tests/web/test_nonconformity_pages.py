"""The auditor's nonconformity register, a nonconformity's trace and the records by clause: pages and exports."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from engine import clock
from engine.services import timers
from tests.factories import (
    EVIDENCE,
    analyse_data,
    complete,
    days_ahead,
    end_of_day,
    start_corrective_action,
)
from tests.web.conftest import csrf_token


@pytest.fixture
def cases(db):
    """Three nonconformities: closed after a failed review, overdue-then-closed, and one just raised."""
    closed = start_corrective_action(db, business_key="NC-CLOSED", title="Kiln 2 meter")
    complete(db, closed, "evaluate_consequences", "body")
    complete(db, closed, "analyse_cause", "head_prod", analyse_data())
    complete(db, closed, "implement_correction", "staff_prod", files=[EVIDENCE])
    complete(db, closed, "review_effectiveness", "body", {"effective": False, "review_comment": "Drifts again."})
    complete(db, closed, "analyse_cause", "head_prod", analyse_data(root_cause="Wrong mounting."))
    complete(db, closed, "implement_correction", "staff_prod")
    complete(db, closed, "review_effectiveness", "body2", {"effective": True, "review_comment": "Stable."})
    complete(db, closed, "close_nonconformity", "body")

    late = start_corrective_action(db, business_key="NC-LATE", clause="6.3.2", source="management_review")
    complete(db, late, "evaluate_consequences", "body")
    due = days_ahead(5)
    complete(db, late, "analyse_cause", "head_prod", analyse_data(correction_due=due, severity="critical"))
    timers.fire_due_timers(db, end_of_day(due) + timedelta(hours=1))
    complete(db, late, "follow_up_overdue", "head_prod",
             {"follow_up_note": "Chased.", "owner": "staff_prod", "correction_due": days_ahead(20)})
    complete(db, late, "implement_correction", "staff_prod")
    complete(db, late, "review_effectiveness", "body", {"effective": True, "review_comment": "OK."})
    complete(db, late, "close_nonconformity", "body2")

    fresh = start_corrective_action(db, business_key="NC-FRESH", source="raised_by_hand", clause="7.5.1")
    return {"closed": closed, "late": late, "fresh": fresh}


def _register_keys(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr class="nc-\w+" data-instance="\d+">\s*<td><a [^>]+>([^<]+)</a>', body)


def _csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(line for line in body.decode("utf-8-sig").splitlines() if not line.startswith("# ")))


def test_the_register_lists_every_nonconformity_with_status_filters(cases, sign_in):
    client = sign_in("verifier")
    page = client.get("/audit/nonconformities")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(_register_keys(html)) == ["NC-CLOSED", "NC-FRESH", "NC-LATE"]
    assert "逾期关闭" in html  # Chinese by default: "closed late"
    assert _register_keys(client.get("/audit/nonconformities?status=closed_late").get_data(as_text=True)) == [
        "NC-LATE"]
    assert _register_keys(client.get("/audit/nonconformities?status=open").get_data(as_text=True)) == ["NC-FRESH"]
    assert _register_keys(client.get("/audit/nonconformities?source=management_review&clause=6.3")
                          .get_data(as_text=True)) == ["NC-LATE"]
    assert _register_keys(client.get("/audit/nonconformities?q=nc-closed").get_data(as_text=True)) == ["NC-CLOSED"]


def test_the_register_shows_an_overdue_nonconformity_as_overdue(cases, sign_in, db):
    with clock.frozen_at(clock.now() + timedelta(days=30)):  # consequences were due in 7 days
        html = sign_in("verifier").get("/audit/nonconformities?status=overdue").get_data(as_text=True)
    assert _register_keys(html) == ["NC-FRESH"]


def test_register_exports_hold_the_rows_of_the_page(cases, sign_in):
    client = sign_in("verifier")
    query = "?status=closed"
    page_keys = _register_keys(client.get(f"/audit/nonconformities{query}").get_data(as_text=True))
    assert page_keys == ["NC-CLOSED"]
    rows = _csv(client.get(f"/audit/export/nonconformities.csv{query}&lang=en").data)
    assert [r["Business key"] for r in rows] == page_keys
    assert (rows[0]["Status"], rows[0]["Severity"], rows[0]["Source"]) == ("Closed", "Major", "Internal audit")

    book = load_workbook(io.BytesIO(client.get(f"/audit/export/nonconformities.xlsx{query}").data))
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert [row[sheet[0].index("业务编号")] for row in sheet[1:]] == page_keys
    assert {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}["审计链校验"].startswith("完整")

    every = _csv(client.get("/audit/export/nonconformities.csv").data)
    pdf = PdfReader(io.BytesIO(client.get("/audit/export/nonconformities.pdf").data))
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert "完整" in words
    assert all(row["业务编号"] in words for row in every) and len(every) == 3


def test_the_trace_page_shows_each_step_in_order_with_who_and_the_evidence(cases, sign_in):
    client = sign_in("verifier")
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client.get("/inbox").get_data(as_text=True))})
    html = client.get(f"/audit/nonconformities/{cases['closed']}").get_data(as_text=True)
    kinds = re.findall(r'data-kind="(\w+)"', html)
    assert kinds == ["finding", "consequences", "cause_analysis", "correction", "effectiveness_review",
                     "cause_analysis", "correction", "effectiveness_review", "closure"]
    assert "not effective" in html and "round 2" in html
    assert html.index("Drifts again.") < html.index("Wrong mounting.") < html.index("Stable.")
    assert EVIDENCE.file_name in html and "body2" in html
    assert f'href="/instances/{cases["closed"]}"' in html


def test_the_trace_pdf_reads_offline_with_every_step(cases, sign_in, db):
    response = sign_in("verifier").get(f"/audit/export/trace-{cases['late']}.pdf?lang=en")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    order = [text.index(step) for step in ("Finding", "Consequences evaluated", "Root cause, similar cases",
                                           "Correction overdue", "Overdue correction followed up",
                                           "Correction carried out", "Effectiveness review", "Closure")]
    assert order == sorted(order)
    assert "Closed late" in text and "verified intact" in text


def test_records_by_clause_list_the_year_with_links_to_the_instances(cases, sign_in):
    client = sign_in("verifier")
    html = client.get("/audit/records").get_data(as_text=True)
    section = html.split('id="clause-10.3"', 1)[1].split("</section>", 1)[0]
    linked = set(re.findall(r'href="/instances/(\d+)"', section))
    assert linked == {str(cases["closed"]), str(cases["late"])}  # the fresh one has no closure yet
    year = clock.now().year
    assert f"{year}-01-01" in html
    empty = client.get(f"/audit/records?from={year + 1}-01-01&to={year + 1}-12-31").get_data(as_text=True)
    assert 'href="/instances/' not in empty.split('id="clause-10.3"', 1)[1].split("</section>", 1)[0]
    pdf = client.get("/audit/export/records.pdf?lang=en")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "10.3" in text and "NC-CLOSED" in text and "NC-LATE" in text and "verified intact" in text


def test_bad_period_and_unknown_nonconformity_are_named(cases, sign_in, db):
    client = sign_in("verifier")
    bad = client.get("/audit/records?from=2026-13-01")
    assert bad.status_code == 422 and "2026-13-01" in bad.get_data(as_text=True)
    assert client.get("/audit/nonconformities?from=2026-12-01&to=2026-11-01").status_code == 422
    assert client.get("/audit/nonconformities/999999").status_code == 404
    assert client.get("/audit/export/trace-999999.pdf").status_code == 404


def test_staff_may_not_read_the_register_traces_or_records(cases, sign_in):
    client = sign_in("staff_prod")
    for url in ("/audit/nonconformities", f"/audit/nonconformities/{cases['closed']}", "/audit/records",
                "/audit/export/nonconformities.csv", f"/audit/export/trace-{cases['closed']}.pdf",
                "/audit/export/records.pdf"):
        assert client.get(url).status_code == 403, url


def test_a_corrective_action_page_leads_the_auditor_to_its_trace(cases, sign_in):
    html = sign_in("verifier").get(f"/instances/{cases['fresh']}").get_data(as_text=True)
    assert f'href="/audit/nonconformities/{cases["fresh"]}"' in html


def test_a_long_register_is_paged_and_its_export_holds_every_row(db, sign_in, monkeypatch):
    from webui import audit as audit_pages

    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
    for n in range(5):
        start_corrective_action(db, business_key=f"NC-P{n}")
    client = sign_in("verifier")
    pages = [_register_keys(client.get(f"/audit/nonconformities?page={p}").get_data(as_text=True)) for p in (1, 2, 3)]
    assert pages == [["NC-P4", "NC-P3"], ["NC-P2", "NC-P1"], ["NC-P0"]]  # newest first
    assert len(_csv(client.get("/audit/export/nonconformities.csv").data)) == 5


def test_the_auditor_downloads_a_correction_s_evidence_from_the_trace_and_the_reading_is_audited(cases, sign_in, db):
    from sqlalchemy import select

    from engine.models import AuditEvent

    client = sign_in("verifier")
    html = client.get(f"/audit/nonconformities/{cases['closed']}").get_data(as_text=True)
    link = re.search(r'<a href="(/evidence/\d+)" download>' + re.escape(EVIDENCE.file_name), html).group(1)
    response = client.get(link)
    assert response.status_code == 200 and response.data == EVIDENCE.content
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert sign_in("staff_energy").get(link).status_code == 403  # took no part, oversees nothing
    with db.reading() as session:
        readers = list(session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "evidence_read")))
    assert readers == ["verifier"]


def test_records_by_clause_and_their_pdf_name_what_each_instance_is_about(cases, sign_in):
    client = sign_in("verifier")
    section = client.get("/audit/records").get_data(as_text=True).split('id="clause-10.3"', 1)[1]
    assert '<span class="instance-title">Kiln 2 meter</span>' in section.split("</section>", 1)[0]
    pdf = client.get("/audit/export/records.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Kiln 2 meter" in text
