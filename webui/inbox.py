"""The inbox: tasks assigned to me, offered to my roles, overdue; filtered, searched, paged; claim and give back."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import clock
from engine.errors import CarbonFlowError, NotPermitted
from engine.people import Actor
from engine.read import queries
from engine.read.definitions import latest_definitions
from engine.services import tasks
from webui.errors import abort_for
from webui.extensions import database, settings

blueprint = Blueprint("inbox", __name__)
PAGE_SIZE = 25
TABS = {"mine": ("mine", False), "candidate": ("candidate", False), "overdue": ("all", True)}


@blueprint.route("/inbox")
def show() -> Any:
    tab = request.args.get("tab", "mine") if request.args.get("tab") in TABS else "mine"
    scope, overdue = TABS[tab]
    page = max(request.args.get("page", 1, type=int), 1)
    priority = request.args.get("priority", type=int)
    process_id = request.args.get("process") or None
    search = (request.args.get("q") or "").strip() or None
    due = request.args.get("due") if request.args.get("due") in queries.DUE_WITHIN_DAYS else None
    actor = _actor()
    now = clock.now()
    due_by = queries.due_horizon(due, now, settings().timezone) if due else None
    with database().reading() as session:
        counts = {name: queries.count_tasks_for_user(session, actor, scope=s, overdue=o, now=now)
                  for name, (s, o) in TABS.items()}
        rows = queries.tasks_for_user(session, actor, scope=scope, overdue=overdue, process_id=process_id,
                                      priority=priority if priority in (1, 2, 3) else None, search=search,
                                      due_by=due_by, now=now, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        keys = queries.business_keys(session, [t.instance_id for t in rows])
        titles = queries.instance_titles(session, [t.instance_id for t in rows])
        processes = [(d.process_id, d.name) for d in latest_definitions(session)]
    return render_template("inbox.html", tab=tab, counts=counts, tasks=rows[:PAGE_SIZE], keys=keys, titles=titles, now=now,
                           page=page, has_next=len(rows) > PAGE_SIZE, processes=processes, process_names=dict(processes),
                           filters={"process": process_id or "", "due": due or "", "priority": priority or "",
                                    "q": search or ""})


@blueprint.route("/tasks/<int:task_id>/claim", methods=["POST"])
def claim(task_id: int) -> Any:
    return _act(task_id, tasks.claim, _("Task claimed: it is now in your own list."))


@blueprint.route("/tasks/<int:task_id>/unclaim", methods=["POST"])
def unclaim(task_id: int) -> Any:
    return _act(task_id, tasks.unclaim, _("Task given back to its role."))


def _act(task_id: int, verb: Any, done: str) -> Any:
    try:
        with database().transaction() as session:
            verb(session, task_id=task_id, actor=current_user.username)
        flash(done, "success")
    except NotPermitted as exc:
        abort_for(exc)
    except CarbonFlowError as exc:  # a conflict (someone was quicker): back to the list, which shows it
        flash(str(exc), "error")
    return redirect(request.referrer or url_for("inbox.show"))


def _actor() -> Actor:
    return Actor(current_user.username, current_user.department_code, current_user.role_ids)
