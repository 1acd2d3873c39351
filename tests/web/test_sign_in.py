"""Signing in and out: nothing but sign-in answers signed out, CSRF on every form, guessing slowed down."""
from __future__ import annotations

from sqlalchemy import select

from engine.models import AuditEvent
from tests.web.conftest import csrf_token
from webui import auth


def test_no_page_but_sign_in_answers_a_signed_out_request_with_content(app):
    client = app.test_client()
    public = {"auth.sign_in", "i18n.set_language", "static"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in public:
            continue
        url = rule.rule.replace("<int:task_id>", "1")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code in (302, 400, 401), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/sign-in" in response.headers["Location"], (method, url)
            assert b"<table" not in response.data and b"Inbox" not in response.data and b"paths" not in response.data


def test_a_form_without_its_csrf_token_is_refused(app):
    response = app.test_client().post("/sign-in", data={"username": "body", "password": "x"})
    assert response.status_code == 400


def test_signing_in_and_out_is_audited_and_the_session_cookie_is_guarded(db, app, sign_in, monkeypatch):
    from engine.config import Settings
    from webui.app import create_app
    secure_app = create_app(Settings(database_url=str(db.engine.url), processes_dir=app.root_path,
                                     data_dir=app.root_path, secret_key="k"), db=db)
    client = secure_app.test_client()
    page = client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
    # Over HTTPS the CSRF check also wants the page it came from on this site.
    response = client.post("/sign-in", base_url="https://localhost", headers={"Referer": "https://localhost/sign-in"},
                           data={"username": "body", "password": "correct horse battery", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie

    client = sign_in("head_prod")
    inbox = client.get("/inbox")
    assert inbox.status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_token(inbox.get_data(as_text=True))})
    assert client.get("/inbox").status_code == 302
    with db.reading() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.actor.in_(["body", "head_prod"])))]
    assert actions[-3:] == ["sign_in", "sign_in", "sign_out"]


def test_wrong_passwords_are_refused_slowly_and_then_blocked_for_a_while(db, app, monkeypatch):
    monkeypatch.setattr(auth, "REFUSAL_DELAY", 0)
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    for _ in range(auth.MAX_FAILURES):
        response = client.post("/sign-in", data={"username": "body", "password": "guess", "csrf_token": token})
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    blocked = client.post("/sign-in", data={"username": "body", "password": "correct horse battery",
                                            "csrf_token": token})
    assert blocked.status_code == 401 and "失败次数过多" in blocked.get_data(as_text=True)
    with db.reading() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_refused")).all()
    assert len(refused) == auth.MAX_FAILURES + 1


def test_sign_in_only_sends_you_on_within_the_site(app):
    assert auth._safe_next("/inbox?tab=overdue") == "/inbox?tab=overdue"
    assert auth._safe_next("https://evil.example/") is None
    assert auth._safe_next("//evil.example/") is None
