"""One's own account, for every signed-in user: changing one's password (required after an admin's reset)."""
from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import InvalidFormData, NotPermitted
from engine.services import users
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
            epoch = users.change_password(session, username=current_user.username,
                                          current=request.form.get("current_password", ""), new=new)
    except NotPermitted as exc:
        refused(str(exc))
        time.sleep(auth.REFUSAL_DELAY)  # as slow as a refused sign-in: no quick guessing from a borrowed session
        return _form({"current_password": [_("The current password is wrong.")]}, 403)
    except InvalidFormData as exc:
        return _form(exc.errors, 422)
    signed_in = auth.signed_in_as(current_user.username, epoch)
    assert signed_in is not None
    auth.start_session(signed_in)  # this session moves to the new epoch; every other one ends
    flash(_("Your password is changed. Other sessions and API tokens of yours have ended."), "success")
    return redirect(url_for("inbox.show"))


def _form(errors: dict[str, Any] | None = None, status: int = 200) -> Any:
    return render_template("admin/account_password.html", errors=errors or {},
                           min_length=users.PASSWORD_MIN_LENGTH), status
