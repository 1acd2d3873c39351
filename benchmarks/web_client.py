"""HTTP clients for the benchmarks: a browser session signed in through the sign-in form, an API token."""
from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request


def signed_in(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    """An opener holding a signed-in session cookie."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/sign-in").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urllib.parse.urlencode({"username": username, "password": password, "csrf_token": token}).encode()
    opener.open(f"{base}/sign-in", data=body).read()
    return opener


def api_token(base: str, username: str, password: str) -> str:
    """A bearer token for the JSON API."""
    request = urllib.request.Request(f"{base}/api/v1/auth/token", method="POST", headers={
        "Content-Type": "application/json"}, data=json.dumps({"username": username, "password": password}).encode())
    with urllib.request.urlopen(request) as response:
        return json.load(response)["token"]
