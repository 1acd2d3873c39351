"""A notification in the reader's language, from its kind and what it points at, and the page it leads to.

The pages and the API say it the same way; the stored title (both languages, for mail) is the fallback
for a kind this does not know or a task that is gone.
"""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from engine.read.notifications import NotificationView
from webui.extensions import settings
from webui.i18n import bilingual

KINDS = {"new_task": lazy_gettext("New task"), "escalation": lazy_gettext("Escalation"),
         "reminder": lazy_gettext("Reminder"), "overdue": lazy_gettext("Overdue"),
         "decision": lazy_gettext("Decision"), "mention": lazy_gettext("Mention")}


@dataclass(frozen=True)
class Described:
    """A notification in the reader's language: what happened, what it is about, and where it leads."""

    kind: str
    headline: str
    about: str  # the instance: process, number and title
    excerpt: str  # the comment that mentioned the reader, shortened
    link: str | None


def link_of(view: NotificationView) -> str | None:
    """Where the notification leads: its task or instance, at the comment that mentioned the reader."""
    anchor = f"comment-{view.comment_id}" if view.comment_id else None
    if view.task_id:
        return url_for("tasks.show", task_id=view.task_id, _anchor=anchor)
    if view.instance_id:
        return url_for("instances.show", instance_id=view.instance_id, _anchor=anchor)
    return None


def describe(view: NotificationView) -> Described:
    """The notification in the page's language; its stored title when it points at nothing known any more."""
    task = bilingual(view.task_title, view.task_title_en) if view.task_title else None
    about = ""
    if view.instance_id:
        about = f"{view.process_name or ''} #{view.instance_id}".strip()
        if view.instance_title:
            about += f" · {view.instance_title}"
    excerpt = (view.body[:200] + "…" if len(view.body) > 200 else view.body) if view.kind == "mention" else ""
    return Described(str(KINDS.get(view.kind, view.kind)), _headline(view, task, about) or view.title, about,
                     excerpt, link_of(view))


def _headline(view: NotificationView, task: str | None, about: str) -> str | None:
    if view.kind == "mention" and view.actor:
        return _("%(who)s mentioned you on %(what)s", who=view.actor, what=task or about)
    if task is None:
        return None
    due = view.due_at.astimezone(ZoneInfo(settings().timezone)).strftime("%Y-%m-%d %H:%M") if view.due_at else ""
    if view.kind == "new_task":
        return _("New task for you: %(task)s", task=task)
    if view.kind == "escalation":
        return _("Urgent task for you: %(task)s", task=task)
    if view.kind == "reminder" and due:
        return _("%(task)s is due %(due)s", task=task, due=due)
    if view.kind == "overdue" and due:
        return _("%(task)s is overdue: it was due %(due)s", task=task, due=due)
    if view.kind == "decision" and view.decision == "approved":
        return _("%(task)s: approved by %(who)s", task=task, who=view.actor or "")
    if view.kind == "decision" and view.decision == "returned":
        return _("%(task)s: sent back by %(who)s", task=task, who=view.actor or "")
    return None
