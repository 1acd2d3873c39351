"""Top management's approvals: the decisions waiting for them, each signed by re-entering the password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from engine import queries
from engine.services import tasks
from engine.services.users import Actor

blueprint = Blueprint("approvals", __name__)


@blueprint.route("/approvals")
def show() -> Any:
    from webui.app import database
    actor = Actor(current_user.username, current_user.department_code, current_user.role_ids)
    with database().reading() as session:
        waiting = [t for t in queries.tasks_for_user(session, actor, scope="all", limit=500)
                   if tasks.requires_signature(t)]
        keys = queries.business_keys(session, [t.instance_id for t in waiting])
    return render_template("approvals.html", waiting=waiting, keys=keys)
