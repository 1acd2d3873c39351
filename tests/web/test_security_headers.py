"""Every answer carries the security headers: no inline script, no framing by others, no sniffing, no caching."""
from __future__ import annotations

from engine.config import Settings
from tests.factories import start_corrective_action
from webui.app import create_app
from webui.security_headers import POLICY


def test_pages_api_and_sign_in_carry_the_headers(sign_in, app):
    client = sign_in("staff_prod")
    for path in ("/inbox", "/api/v1/tasks", "/dashboard"):
        headers = client.get(path).headers
        assert headers["Content-Security-Policy"] == POLICY and "script-src 'self';" in POLICY
        assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
        assert headers["Referrer-Policy"] == "same-origin" and headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in headers  # plain HTTP in the tests: HSTS would lock a site out
    signed_out = app.test_client().get("/sign-in").headers
    assert signed_out["Content-Security-Policy"] == POLICY and signed_out["Cache-Control"] == "no-store"
    static = app.test_client().get("/static/carbonflow.css").headers
    assert static["X-Content-Type-Options"] == "nosniff" and static.get("Cache-Control") != "no-store"


def test_hsts_is_sent_where_cookies_are_secure(db, tmp_path):
    settings = Settings(database_url=str(db.engine.url), processes_dir=tmp_path, data_dir=tmp_path,
                        secret_key="test-secret")
    secure = create_app(settings, db=db, SESSION_COOKIE_SECURE=True)
    assert secure.test_client().get("/sign-in").headers["Strict-Transport-Security"].startswith("max-age=")


def test_an_evidence_file_keeps_its_own_policy_so_the_task_page_can_show_it(sign_in, db):
    from engine.read import queries
    from tests.factories import EVIDENCE, FORM_DATA, complete

    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"], files=[EVIDENCE])
    with db.reading() as session:
        evidence_id = queries.evidence_of(session, instance_id=nc)[0].id
    headers = sign_in("body").get(f"/evidence/{evidence_id}/view").headers  # a PDF: shown in the task page
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "SAMEORIGIN"
