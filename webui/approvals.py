"""Top management's approvals: the decisions waiting for them, each signed by re-entering the password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from engine.people import Actor
from engine.read import queries
from engine.read.definitions import latest_definitions
from webui.extensions import database

blueprint = Blueprint("approvals", __name__)


@blueprint.route("/approvals")
def show() -> Any:
    actor = Actor(current_user.username, current_user.department_code, current_user.role_ids)
    with database().reading() as session:
        waiting = [t for t in queries.tasks_for_user(session, actor, scope="all", limit=500)
                   if t.requires_signature]
        keys = queries.business_keys(session, [t.instance_id for t in waiting])
        titles = queries.instance_titles(session, [t.instance_id for t in waiting])
        names = {d.process_id: d.name for d in latest_definitions(session)}
    return render_template("approvals.html", waiting=waiting, keys=keys, titles=titles, process_names=names)
