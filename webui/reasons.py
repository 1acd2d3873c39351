"""The engine's reasons for a refusal (engine.errors.Reason) in the reader's language."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _


ACTIONS = {"suspend": _("be suspended"), "resume": _("be resumed"), "terminate": _("be terminated"),
           "retry": _("be retried")}
STATUSES = {"running": _("running"), "suspended": _("suspended"), "completed": _("completed"),
            "terminated": _("terminated"), "error": _("in error")}

REASONS: dict[str, Any] = {
    "wrong_status": _("#%(instance)s is %(status)s: it cannot %(action)s."),
    "element_missing": _("%(element)s is not in the new version: map it to an element that is."),
    "type_changed": _("%(element)s is a %(was)s but %(target)s is a %(is)s."),
    "script_missing": _("Script %(script)s of the new version reads %(names)s, which this instance does not hold."),
    "subprocess": _("It runs a subprocess or a multi-instance step; migrating those is not supported yet."),
    "mapping_unknown": _("The mapping names %(elements)s, which the new version does not have."),
    "no_version": _("Process %(process)s has no version %(version)s."),
    "not_newer": _("It runs on version %(version)s: migrate only to a newer version."),
    "not_movable": _("It is %(status)s: only running or suspended instances move."),
    "wrong_password": _("The password does not match, so nothing was signed."),
    "filter_name_length": _("Give the filter a name of 1 to %(max)s characters."),
    "filter_name_taken": _("You have a filter named “%(name)s” already."),
    "too_many_filters": _("Keep at most %(max)s filters: delete one first."),
    "too_many_attempts": _("Too many failed attempts. Try again in %(minutes)s minutes."),
}


def say(reason: Any) -> str:
    """A reason in the page's language; its English sentence when no template has it (or it is plain text)."""
    template = REASONS.get(getattr(reason, "code", ""))
    if template is None:
        return str(reason)
    params = dict(reason.params)
    if "action" in params:
        params["action"] = str(ACTIONS.get(params["action"], params["action"]))
    if "status" in params:
        params["status"] = str(STATUSES.get(params["status"], params["status"]))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(reason)
