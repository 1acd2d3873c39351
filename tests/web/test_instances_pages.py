"""Starting a process from its start form, and the instance page with its steps, links and evidence."""
from __future__ import annotations

from tests.factories import raise_data
from tests.web.conftest import csrf_token


def test_the_start_page_lists_only_what_the_user_may_start(sign_in):
    staff = sign_in("staff_prod").get("/start").get_data(as_text=True)
    assert "纠正措施" in staff and "内部审核" not in staff  # anyone raises a nonconformity; audits are not theirs
    auditor = sign_in("auditor").get("/start").get_data(as_text=True)
    assert "内部审核" in auditor
    assert sign_in("staff_prod").get("/start/internal_audit").status_code == 404


def test_starting_with_bad_data_names_the_fields_then_the_instance_page_shows_the_first_step(db, sign_in):
    client = sign_in("staff_prod")
    token = csrf_token(client.get("/start/corrective_action").get_data(as_text=True))
    data = raise_data()
    refused = client.post("/start/corrective_action", data={**data, "clause": "x.y", "csrf_token": token,
                                                             "business_key": "NC-77"})
    assert refused.status_code == 422 and "不是指南的条款" in refused.get_data(as_text=True)
    assert "NC-77" in refused.get_data(as_text=True)
    started = client.post("/start/corrective_action", data={**data, "csrf_token": token, "business_key": "NC-77"})
    assert started.status_code == 302
    page = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "NC-77" in page and "running" in page and "评价并处置后果" in page


def test_the_instance_page_is_for_those_who_took_part_or_oversee(db, sign_in):
    from tests.factories import start_corrective_action
    nc = start_corrective_action(db, actor="staff_prod")
    assert sign_in("staff_prod").get(f"/instances/{nc}").status_code == 200
    assert sign_in("auditor").get(f"/instances/{nc}").status_code == 200
    assert sign_in("staff_energy").get(f"/instances/{nc}").status_code == 403
    assert sign_in("auditor").get("/instances/9999").status_code == 404


def test_the_instance_page_reads_as_the_record_and_its_pdf_is_one_click_away(db, sign_in):
    from sqlalchemy import select

    from engine.models import AuditEvent
    from tests.factories import complete, start_corrective_action

    nc = start_corrective_action(db, title="Kiln 2 meter", description="Found in the audit.")
    complete(db, nc, "evaluate_consequences", "body",
             {"consequences": "Q3 gas data uncertain.", "immediate_handling": "Flag Q3 data."})
    client = sign_in("auditor")
    page = client.get(f"/instances/{nc}").get_data(as_text=True)
    raised = page.split('data-element="start"', 1)[1].split("</li>", 1)[0]
    assert "Found in the audit." in raised and "生产部" in raised  # labelled read-outs, departments by name
    evaluated = page.split('data-element="evaluate_consequences"', 1)[1].split("</li>", 1)[0]
    assert "Q3 gas data uncertain." in evaluated and "后果" in evaluated
    assert f'href="/instances/{nc}/record.pdf"' in page
    pdf = client.get(f"/instances/{nc}/record.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    with db.reading() as session:
        exported = session.scalar(select(AuditEvent).where(AuditEvent.action == "export",
                                                           AuditEvent.instance_id == nc))
        assert (exported.actor, exported.data["export"]) == ("auditor", "record")
        checkpoint = session.scalar(select(AuditEvent).where(AuditEvent.action == "chain_verified"))
        assert checkpoint.actor == "auditor" and checkpoint.seq == exported.seq - 1  # the check the PDF states


def test_pdf_and_image_evidence_is_shown_in_the_page_and_nothing_else_is(db, sign_in):
    from engine.services import evidence
    from tests.factories import complete, start_corrective_action

    pdf = evidence.Upload("calibration.pdf", b"%PDF-1.7 calibration certificate", "application/pdf")
    page_html = evidence.Upload("note.html", b"<script>alert(1)</script>", "application/pdf")  # lies about its type
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body",
             {"consequences": "Q3 gas data uncertain.", "immediate_handling": "Flag Q3 data."}, files=[pdf, page_html])
    client = sign_in("auditor")
    with db.reading() as session:
        from engine.read import queries
        shown, disguised = queries.evidence_of(session, instance_id=nc)
    page = client.get(f"/instances/{nc}").get_data(as_text=True)
    assert f'<iframe class="preview" src="/evidence/{shown.id}/view"' in page
    viewed = client.get(f"/evidence/{shown.id}/view")
    assert viewed.status_code == 200 and viewed.content_type == "application/pdf"
    assert viewed.headers["Content-Disposition"].startswith("inline")
    assert "default-src 'none'" in viewed.headers["Content-Security-Policy"]
    refused = client.get(f"/evidence/{disguised.id}/view")  # recognised by its bytes, not its declared type
    assert refused.status_code == 415 and "<script>" not in refused.get_data(as_text=True)
    assert sign_in("staff_energy").get(f"/evidence/{shown.id}/view").status_code == 403
