"""Notifications: the bell in the top bar with the unread count, the list (newest first, paged), marking read.

Each notification is said in the reader's language from its kind and what it points at; opening one
through its link marks it read and goes on to its task (or instance).
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import NotFound
from engine.read import notifications as notices
from engine.services import notifications
from webui.errors import abort_for
from webui.extensions import database
from webui.input_guard import page_arg
from webui.notification_text import describe, link_of

blueprint = Blueprint("notifications", __name__)


@blueprint.app_context_processor
def bell() -> dict[str, Any]:
    """The top bar's unread count, read only when a page shows the bell."""
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            with database().reading() as session:
                return notices.unread_count(session, current_user.username)
        except SQLAlchemyError:  # an error page about the database itself must still render
            return 0
    return {"unread_notifications": unread_notifications}


@blueprint.route("/notifications")
def show() -> Any:
    unread_only = request.args.get("show") == "unread"
    with database().reading() as session:
        found = notices.page_of(session, current_user.username, unread_only=unread_only, page=page_arg())
    return render_template("notifications.html", found=found, unread_only=unread_only,
                           items=[(n, describe(n)) for n in found.items])


@blueprint.route("/notifications/<int:notification_id>", endpoint="open")
def open_notification(notification_id: int) -> Any:
    """Mark the notification read and go on to what it is about (the list, when it points at nothing)."""
    try:
        with database().transaction() as session:
            notifications.read_one(session, notification_id=notification_id, actor=current_user.username)
            view = notices.own(session, current_user.username, notification_id)
    except NotFound as exc:
        abort_for(exc)
    return redirect(link_of(view) or url_for("notifications.show"))


@blueprint.route("/notifications/<int:notification_id>/read", methods=["POST"])
def mark_read(notification_id: int) -> Any:
    try:
        with database().transaction() as session:
            notifications.read_one(session, notification_id=notification_id, actor=current_user.username)
    except NotFound as exc:
        abort_for(exc)
    flash(_("Marked as read."), "success")
    return _back()


@blueprint.route("/notifications/read-all", methods=["POST"])
def mark_all_read() -> Any:
    with database().transaction() as session:
        count = notifications.read_all(session, actor=current_user.username)
    flash(ngettext("%(num)d notification marked as read.", "%(num)d notifications marked as read.", count)
          if count else _("Nothing was unread."), "success")
    return _back()


def _back() -> Any:
    """To the list the form was on (its page and filter)."""
    page = request.form.get("page", "")
    return redirect(url_for("notifications.show", page=int(page) if page.isdigit() and len(page) < 7 else None,
                            show="unread" if request.form.get("show") == "unread" else None))
