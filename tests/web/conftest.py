"""A web application on the test database, and a browser-like client that signs in."""
from __future__ import annotations

import re

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from engine.config import Settings
from engine.models import User
from engine.services import sign_ins
from tests.factories import PASSWORD
from webui.api import auth as api_auth
from webui.app import create_app


@pytest.fixture
def app(db, tmp_path):
    settings = Settings(database_url=str(db.engine.url), processes_dir=tmp_path, data_dir=tmp_path,
                        secret_key="test-secret")
    return create_app(settings, db=db, SESSION_COOKIE_SECURE=False)


def bearer_token(app, db, username: str) -> str:
    """A bearer token as POST /api/v1/auth/token issues it, for a new sign-in of the user's (no argon2)."""
    with db.transaction() as session:
        epoch = session.scalar(select(User.credentials_epoch).where(User.username == username))
        secret = sign_ins.start(session, username=username, kind="api_token")
    return URLSafeTimedSerializer(app.secret_key, salt=api_auth.SALT).dumps([username, epoch, secret])


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def sign_in(app):
    """sign_in(username) -> a test client signed in as that user."""
    def signed_in(username: str, password: str = PASSWORD):
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        response = client.post("/sign-in", data={"username": username, "password": password,
                                                 "csrf_token": csrf_token(page)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return signed_in
