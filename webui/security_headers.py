"""Security headers on every answer: scripts only from our origin, no framing by others, no sniffing, no caching
of what a signed-in person sees, and HSTS where cookies are Secure (the site is then served over HTTPS)."""
from __future__ import annotations

from typing import Any

from flask import current_app, request

# No inline script anywhere: the pages' scripts are files under /static (the vendored bpmn-js among them); data
# for them travels in data attributes or a non-executed JSON block. Styles may be inline: bpmn-js draws with them.
POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
          "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def add(response: Any) -> Any:
    """Set the headers a response has not set itself (an evidence file keeps its own, framable by our pages)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        # Pages and API answers carry what one signed-in person may see: never kept by a browser or a proxy.
        headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response
