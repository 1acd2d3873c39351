"""Signing in and out: nothing but sign-in answers signed out, CSRF on every form, guessing stopped, sign-out ends."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from engine.models import AuditEvent, SignInSession
from engine.services import credentials
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


def test_wrong_passwords_are_refused_then_answered_429_with_retry_after_without_waiting(db, app):
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    for _ in range(credentials.MAX_FAILURES):
        response = client.post("/sign-in", data={"username": "body", "password": "guess", "csrf_token": token})
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    blocked = client.post("/sign-in", data={"username": "body", "password": "correct horse battery",
                                            "csrf_token": token})
    assert blocked.status_code == 429 and "失败次数过多" in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= credentials.WINDOW.total_seconds()
    with db.reading() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_refused")).all()
    assert [e.data["reason"] for e in refused] == ["wrong password"] * credentials.MAX_FAILURES + ["too many attempts"]


def test_many_names_guessed_from_one_address_are_stopped_there_and_nowhere_else(app, monkeypatch):
    monkeypatch.setattr(credentials, "MAX_ADDRESS_FAILURES", 3)
    client = app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))

    def attempt(username: str, password: str, address: str) -> int:
        return client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token},
                           environ_base={"REMOTE_ADDR": address}).status_code

    assert [attempt(name, "guess", "203.0.113.9") for name in ("body", "gm", "auditor")] == [401] * 3
    assert attempt("docs", "correct horse battery", "203.0.113.9") == 429
    assert attempt("docs", "correct horse battery", "198.51.100.1") == 302


def test_a_copy_of_the_cookie_no_longer_signs_in_after_sign_out(app, sign_in):
    client = sign_in("head_prod")
    inbox = client.get("/inbox")
    stolen = app.test_client()
    stolen.set_cookie("session", client.get_cookie("session").value)
    assert stolen.get("/inbox").status_code == 200
    client.post("/sign-out", data={"csrf_token": csrf_token(inbox.get_data(as_text=True))})
    assert stolen.get("/inbox").status_code == 302


def test_a_sign_in_ends_when_it_expires(db, sign_in):
    client = sign_in("head_prod")
    assert client.get("/inbox").status_code == 200
    with db.transaction() as session:
        session.execute(update(SignInSession).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert client.get("/inbox").status_code == 302


def test_sign_in_only_sends_you_on_within_the_site(app):
    assert auth._safe_next("/inbox?tab=overdue") == "/inbox?tab=overdue"
    assert auth._safe_next("https://evil.example/") is None
    assert auth._safe_next("//evil.example/") is None


def test_guessing_the_current_password_from_a_borrowed_session_is_stopped_like_signing_in(app, sign_in):
    client = sign_in("staff_prod")
    token = csrf_token(client.get("/account/password").get_data(as_text=True))
    form = {"current_password": "guess", "new_password": "a new passphrase", "repeat_password": "a new passphrase",
            "csrf_token": token}
    answers = [client.post("/account/password", data=form).status_code for _ in range(credentials.MAX_FAILURES + 1)]
    assert answers == [403] * credentials.MAX_FAILURES + [429]
    assert app.test_client().post("/api/v1/auth/token", json={
        "username": "staff_prod", "password": "correct horse battery"}).status_code == 429


def test_behind_trusted_proxies_guessing_is_counted_per_client_address_not_per_proxy(db, tmp_path, monkeypatch):
    from engine.config import Settings
    from webui.app import create_app
    monkeypatch.setattr(credentials, "MAX_ADDRESS_FAILURES", 2)
    proxied = create_app(Settings(database_url=str(db.engine.url), processes_dir=tmp_path, data_dir=tmp_path,
                                  secret_key="k", trusted_proxies=1), db=db, SESSION_COOKIE_SECURE=False)
    client = proxied.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))

    def attempt(username: str, password: str, client_address: str) -> int:
        return client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [attempt(name, "guess", "203.0.113.9") for name in ("body", "gm")] == [401, 401]
    assert attempt("docs", "correct horse battery", "203.0.113.9") == 429
    assert attempt("docs", "correct horse battery", "198.51.100.1") == 302  # another client behind the same proxy
