"""Who is calling the API: bearer tokens issued for a password, or the pages' own signed-in session.

A token is the username, the user's credentials epoch and the secret of a sign-in kept on the
server (engine.services.sign_ins), signed with the app's secret key (itsdangerous, salt "api-token")
and good for 12 hours. It is checked on every request against the user's row and its sign-in, so
revoking it (DELETE /api/v1/auth/token), deactivating the user, or resetting or changing their
password ends it at once. A user who must change their password may use the API only after
changing it in the browser. The session is accepted too, so the pages' JavaScript may call the API;
a write through the session must then carry the page's CSRF token (X-CSRFToken header), because a
browser sends cookies on its own and tokens only when told to.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app, g, request
from flask_babel import force_locale
from flask_login import current_user
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeTimedSerializer

from engine.services import sign_ins
from webui import auth as sign_in
from webui.api.errors import error_body, resource
from webui.extensions import database

blueprint = resource("api_auth", "/api/v1/auth",
                     "Bearer tokens for the API, issued for a user name and password.")

SALT = "api-token"
MAX_AGE_SECONDS = 12 * 60 * 60
# The only API endpoint that answers a signed-out request.
PUBLIC_ENDPOINTS = frozenset({"api_auth.issue_token"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Credentials(ma.Schema):
    username = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    password = ma.fields.String(required=True, load_only=True, validate=ma.validate.Length(min=1, max=1024))


class Token(ma.Schema):
    token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds"})


@blueprint.route("/token", methods=["POST"])
@blueprint.doc(security=[])
@blueprint.alt_response(400, description="The body is not JSON.")
@blueprint.alt_response(401, description="Wrong user name or password.")
@blueprint.alt_response(429, description="Too many wrong passwords for this name or from this address lately; "
                        "the Retry-After header says in how many seconds to try again.")
@blueprint.arguments(Credentials)
@blueprint.response(200, Token)
def issue_token(credentials: dict[str, str]) -> Any:
    """A token for these credentials; refusals are counted and audited like the sign-in page's."""
    # API clients read engine errors in English; the refusal speaks the same language.
    with force_locale("en"):
        outcome = sign_in.password_sign_in(credentials["username"], credentials["password"], kind="api_token")
    if outcome.user is None:
        abort(outcome.status, message=outcome.error, headers=outcome.headers)
    return {"token": _serializer().dumps([outcome.user.username, outcome.user.credentials_epoch, outcome.secret]),
            "token_type": "Bearer", "expires_in": MAX_AGE_SECONDS}


@blueprint.route("/token", methods=["DELETE"])
@blueprint.alt_response(401, description="No live token was sent.")
@blueprint.response(204)
def revoke_token() -> None:
    """End the bearer token this request carries, at once (signing out an API client)."""
    secret = getattr(g, "token_secret", None)
    if secret is None:
        abort(400, message="send the bearer token to revoke in the Authorization header")
    with database().transaction() as session:
        sign_ins.end(session, secret, actor=current_actor(), how="token_revoked")


@blueprint.before_request
def _json_only() -> Any:
    # Checked before the body is parsed: a signed-out request with no JSON is refused without
    # counting as a sign-in attempt (and without a form's 422).
    if request.method == "POST" and not request.is_json:
        return error_body(400, "send the credentials as a JSON object: {username, password}")
    return None


def authenticate() -> Any:
    """None when this API request may go on (called before every request); else the JSON 401 to answer."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    header = request.headers.get("Authorization")
    if header is not None:
        user = _bearer_user(header)
        if user is None:
            return _unauthorized("the bearer token is invalid or expired, or its user may no longer sign in")
        g.user = user
        return _must_change(user)
    if current_user.is_authenticated:
        if current_user.must_change_password:
            return _must_change(current_user)
        if request.method not in _SAFE_METHODS:
            current_app.extensions["csrf"].protect()  # 400 without the page's token
        return None
    return _unauthorized("sign in or send a bearer token")


def current_actor() -> str:
    """The username the request acts as (bearer token or session; `authenticate` has let it through)."""
    return str(g.user.username)


def _unauthorized(message: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    return (*error_body(401, message), {"WWW-Authenticate": 'Bearer realm="CarbonFlow"'})


def _must_change(user: Any) -> Any:
    """The 403 for a user who must change their password first; None for anyone else."""
    if user.must_change_password:
        return error_body(403, "change your password in the browser first (/account/password)")
    return None


def _bearer_user(header: str) -> sign_in.SignedIn | None:
    """The token's user while its sign-in is live (the secret it carries is kept in ``g.token_secret``)."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        payload = _serializer().loads(token.strip(), max_age=MAX_AGE_SECONDS)
    except BadSignature:  # also SignatureExpired
        return None
    # [username, credentials epoch, the sign-in's secret]; a token of any other shape was issued before
    # sign-ins were kept and is refused.
    if not (isinstance(payload, list) and len(payload) == 3 and isinstance(payload[0], str)
            and isinstance(payload[1], int) and isinstance(payload[2], str)):
        return None
    username, epoch, secret = payload
    g.token_secret = secret
    return sign_in.signed_in_as(username, epoch, secret=secret)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)
