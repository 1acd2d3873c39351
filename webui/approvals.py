"""Top management's approvals: the decisions waiting for them, each signed by re-entering the password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from engine.people import Actor
from engine.read.approvals import waiting_decisions
from engine.read.definitions import latest_definitions
from engine.read.steps import directory_names
from webui.i18n import process_name
from webui.extensions import database

blueprint = Blueprint("approvals", __name__)


@blueprint.route("/approvals")
def show() -> Any:
    actor = Actor(current_user.username, current_user.department_code, current_user.role_ids)
    with database().reading() as session:
        waiting = waiting_decisions(session, actor)
        process_names = {d.process_id: process_name(d.name) for d in latest_definitions(session)}
        people = directory_names(session).people
    return render_template("approvals.html", waiting=waiting, process_names=process_names, people=people)
