"""The auditor's audit trail page, its chain check and its exports: the same rows on the page and in every file."""
from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, text

from engine.models import AuditEvent, HumanTask
from tests.factories import PASSWORD, analyse_data, complete, start_corrective_action


@pytest.fixture
def trail(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data())
    return nc


def _page_rows(html: str) -> list[tuple[str, str]]:
    """(seq, action code) of each row of the page's table."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<tr data-seq="(\d+)" data-action="(\w+)">', body)


def _csv_rows(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    lines = body.decode("utf-8-sig").splitlines()
    statement = [line for line in lines if line.startswith("# ")]
    return statement, list(csv.DictReader(line for line in lines if not line.startswith("# ")))


def test_the_auditor_reads_the_trail_newest_first_with_local_times(trail, sign_in):
    page = sign_in("verifier").get(f"/audit?instance={trail}").get_data(as_text=True)
    rows = _page_rows(page)
    assert [action for _seq, action in rows] == ["complete", "complete", "start"]
    assert [int(seq) for seq, _a in rows] == sorted((int(seq) for seq, _a in rows), reverse=True)
    assert "UTC " in page  # the UTC time is on every local time


def test_staff_may_not_read_the_trail_or_export_it(trail, sign_in):
    client = sign_in("staff_prod")
    assert client.get("/audit").status_code == 403
    assert client.get("/audit/export/audit.csv").status_code == 403
    assert client.get("/audit/verify").status_code == 403


def test_the_exports_hold_the_same_rows_as_the_page_and_state_the_chain_check(trail, sign_in):
    client = sign_in("verifier")
    query = "?action=complete"
    page_rows = _page_rows(client.get(f"/audit{query}").get_data(as_text=True))
    assert len(page_rows) == 2

    statement, rows = _csv_rows(client.get(f"/audit/export/audit.csv{query}&lang=en").data)
    assert [(r["#"], r["Action code"]) for r in rows] == page_rows
    assert any(line.startswith("# Audit chain: verified intact") for line in statement)
    assert "# Filter: action = Completed the task (complete)" in statement

    response = client.get(f"/audit/export/audit.xlsx{query}")
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.data))
    sheet_rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = sheet_rows[0]
    assert [(str(r[header.index("序号")]), r[header.index("操作代码")]) for r in sheet_rows[1:]] == page_rows
    about = {row[0]: row[1] for row in book["说明"].iter_rows(values_only=True)}
    assert about["审计链校验"].startswith("完整")

    pdf = PdfReader(io.BytesIO(client.get(f"/audit/export/audit.pdf{query}").data))
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert "完整" in words
    for row in rows:
        assert row["SHA-256 (chain)"][:16] in words.replace("\n", "")


def test_an_export_is_itself_recorded_in_the_trail(trail, sign_in, db):
    from engine.read import queries
    sign_in("verifier").get("/audit/export/audit.csv?action=complete")
    with db.reading() as session:
        exported = [e for e in queries.audit_events(session, limit=None) if e.action == "export"]
    assert [(e.actor, e.data["export"], e.data["format"], e.data["rows"]) for e in exported] == [
        ("verifier", "audit-trail", "csv", 2)]


def test_a_bad_date_is_named_and_the_page_still_answers(trail, sign_in):
    response = sign_in("verifier").get("/audit?from=2026-13-01")
    assert response.status_code == 422 and "2026-13-01" in response.get_data(as_text=True)
    assert sign_in("verifier").get("/audit?from=2026-12-01&to=2026-01-01").status_code == 422


def test_the_chain_check_page_names_the_event_edited_in_the_database(trail, sign_in, db):
    client = sign_in("verifier")
    assert client.get("/audit/verify").status_code == 200  # intact: recorded as a checkpoint
    start_corrective_action(db)
    with db.engine.begin() as connection:
        # An event after the checkpoint: the default check reads those (an older one needs ?full=1).
        victim = connection.scalar(text("SELECT id FROM audit_events ORDER BY seq DESC LIMIT 1 OFFSET 1"))
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER audit_events_no_update"))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        connection.execute(text(f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim}"))
        if db.engine.dialect.name != "sqlite":
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
    response = client.get("/audit/verify")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and f"event {victim} " in page and "altered" in page
    _statement, _rows = _csv_rows(client.get("/audit/export/audit.csv").data)
    assert any(line.startswith("# 审计链校验: 已被破坏") and f"event {victim} " in line for line in _statement)


def test_the_instance_page_links_its_audit_trail_for_those_who_oversee(trail, sign_in):
    link = f'href="/audit?instance={trail}"'
    assert link in sign_in("verifier").get(f"/instances/{trail}").get_data(as_text=True)
    assert link not in sign_in("staff_prod").get(f"/instances/{trail}").get_data(as_text=True)


def test_a_refused_attempt_is_an_audit_event_of_its_own(trail, sign_in, app, db):
    assert sign_in("staff_prod").get("/audit").status_code == 403
    with db.reading() as session:
        task = session.scalar(select(HumanTask.id).where(HumanTask.status == "ready"))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "verifier", "password": PASSWORD}).json["token"]
    assert client.post(f"/api/v1/tasks/{task}/claim", headers={"Authorization": f"Bearer {token}"}).status_code == 403

    with db.reading() as session:
        refused = [(e.actor, e.data["method"], e.data["path"], e.task_id, e.data["reason"]) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.action == "refused").order_by(AuditEvent.seq))]
    assert refused[0][:4] == ("staff_prod", "GET", "/audit", None)
    assert "oversee the system" in refused[0][4]
    assert refused[1][:4] == ("verifier", "POST", f"/api/v1/tasks/{task}/claim", task)
    assert "read-only" in refused[1][4] or "auditor" in refused[1][4]
