"""The dashboard: the plant at a glance (open and overdue work, open nonconformities, this year's cycles)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, url_for
from flask_login import current_user

from engine.people import ADMIN_ROLE, ROLES
from engine.read import dashboard, instance_search
from forms.describe import choice_labels
from webui.extensions import database, settings
from webui.i18n import bilingual

blueprint = Blueprint("dashboard", __name__)


@blueprint.route("/dashboard")
def show() -> Any:
    with database().reading() as session:
        figures = dashboard.snapshot(session, current_user.username, zone=ZoneInfo(settings().timezone))
        incidents = instance_search.incident_count(session) if current_user.has_role(ADMIN_ROLE) else None
    role_href, process_href = _links(figures.plant_wide)
    return render_template("dashboard.html", d=figures, incidents=incidents, roles=ROLES, role_label=_role_label,
                           plain_label=_plain_label, process_label=_process_label, role_href=role_href,
                           process_href=process_href,
                           severities=choice_labels("corrective_action.analyse_cause", "severity"))


def _links(plant_wide: bool) -> tuple[Callable[[dashboard.Bar], str], Callable[[dashboard.Bar], str]]:
    """Where a role's and a process's bar lead: the plant's open work for those who see the plant, else one's inbox."""
    if plant_wide:
        return (lambda bar: url_for("open_work.show", role=bar.key),
                lambda bar: url_for("open_work.show", process=bar.key))
    return (lambda bar: url_for("inbox.show", tab="all"),
            lambda bar: url_for("inbox.show", tab="all", process=bar.key))


def _role_label(bar: dashboard.Bar) -> str:
    return bilingual(*ROLES.get(bar.key or "", (bar.label, bar.label)))


def _plain_label(bar: dashboard.Bar) -> str:
    return bar.label


def _process_label(bar: dashboard.Bar) -> str:
    """Process names are "中文 English": the part in the page's language."""
    zh, _, en = bar.label.partition(" ")
    return bilingual(zh, en)
