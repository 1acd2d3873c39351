"""One's own account, for every signed-in user: changing one's password (required after an admin's reset)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import InvalidFormData, NotPermitted, TooManyAttempts
from engine.services import sign_ins, users
from webui import auth
from webui.errors import refused
from webui.extensions import database

blueprint = Blueprint("account", __name__)


@blueprint.route("/account/password", methods=["GET", "POST"])
def password() -> Any:
    """Choose a new password: the current one, the new one twice. Every other session and API token then ends."""
    if request.method == "GET":
        return _form()
    new = request.form.get("new_password", "")
    if new != request.form.get("repeat_password", ""):
        return _form({"repeat_password": [_("The two new passwords differ.")]}, 422)
    try:
        with database().transaction() as session:
            epoch = users.change_password(session, username=current_user.username, address=request.remote_addr,
                                          current=request.form.get("current_password", ""), new=new)
            secret = sign_ins.start(session, username=current_user.username, kind="browser",
                                    address=request.remote_addr)
    except TooManyAttempts as exc:
        refused(str(exc))
        minutes = max(1, -(-exc.retry_after // 60))
        message = _("Too many failed attempts. Try again in %(minutes)d minutes.", minutes=minutes)
        return (*_form({"current_password": [message]}, 429), {"Retry-After": str(exc.retry_after)})
    except NotPermitted as exc:  # counted with wrong sign-in passwords: no quick guessing from a borrowed session
        refused(str(exc))
        return _form({"current_password": [_("The current password is wrong.")]}, 403)
    except InvalidFormData as exc:
        return _form(exc.errors, 422)
    signed_in = auth.signed_in_as(current_user.username, epoch, secret=secret)
    assert signed_in is not None
    auth.start_session(signed_in, secret)  # this browser signs in anew; every other sign-in has ended
    flash(_("Your password is changed. Other sessions and API tokens of yours have ended."), "success")
    return redirect(url_for("inbox.show"))


def _form(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    return render_template("admin/account_password.html", errors=errors or {},
                           min_length=users.PASSWORD_MIN_LENGTH), status
