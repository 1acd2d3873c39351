"""Sending notification mail through the SMTP server named by MAIL_URL (smtp://user:pass@host:port?from=...)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


def send(url: str, *, to: str, subject: str, body: str) -> None:
    """Send one plain-text message; raises on any SMTP failure (the job then retries)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"MAIL_URL must start with smtp:// or smtps://, not {parts.scheme}://")
    sender = parse_qs(parts.query).get("from", [f"carbonflow@{parts.hostname}"])[0]
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message.set_content(body or subject)
    client = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
    with client(parts.hostname or "localhost", parts.port or (465 if parts.scheme == "smtps" else 25),
                timeout=30) as smtp:
        if parts.scheme == "smtp":
            # Submission servers (587) want TLS before a password; use it whenever offered.
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            elif parts.username:
                raise RuntimeError(f"{parts.hostname} offers no STARTTLS: refusing to send the password in clear")
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        smtp.send_message(message)
