"""The inbox: my work (assigned to me or offered to my roles), each part, overdue, what I completed; filtered,
searched, paged, filters kept by name; claim (several at once) and give back."""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from engine import clock
from engine.errors import CarbonFlowError, Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import HumanTask
from engine.people import Actor, get_writer, may_work_on
from engine.read import queries
from engine.read.definitions import latest_definitions
from engine.services import saved_filters, tasks
from webui.i18n import process_name
from webui.errors import abort_for
from webui.extensions import database, settings
from webui.input_guard import int_arg, page_arg
from webui.reasons import say

blueprint = Blueprint("inbox", __name__)
PAGE_SIZE = 25
# tab -> (scope, overdue only); "done" lists what I completed.
TABS = {"all": ("all", False), "mine": ("mine", False), "candidate": ("candidate", False), "overdue": ("all", True)}


@blueprint.route("/inbox")
def show() -> Any:
    tab = request.args.get("tab", "all") if request.args.get("tab") in (*TABS, "done") else "all"
    page = page_arg()
    priority = int_arg("priority")
    process_id = request.args.get("process") or None
    search = (request.args.get("q") or "").strip() or None
    due = request.args.get("due") if request.args.get("due") in queries.DUE_WITHIN_DAYS else None
    actor = _actor()
    now = clock.now()
    due_by = queries.due_horizon(due, now, settings().timezone) if due else None
    after, before = queries.Cursor.parse(request.args.get("after")), queries.Cursor.parse(request.args.get("before"))
    with database().reading() as session:
        counts = queries.count_tabs(session, actor, now=now, cap=queries.COUNT_CAP)
        if tab == "done":
            rows = queries.completed_by_user(session, actor.username, limit=PAGE_SIZE + 1,
                                             offset=(page - 1) * PAGE_SIZE)
            has_previous, has_next, rows = page > 1, len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        else:
            scope, overdue = TABS[tab]
            rows = queries.tasks_for_user(session, actor, scope=scope, overdue=overdue, process_id=process_id,
                                          priority=priority if priority in (1, 2, 3) else None, search=search,
                                          due_by=due_by, now=now, limit=PAGE_SIZE + 1,
                                          after=after, before=None if after else before)
            if before and not after:  # the page before the reader's: one more read says whether another precedes it
                has_previous, has_next, rows = len(rows) > PAGE_SIZE, True, rows[-PAGE_SIZE:]
            else:
                has_previous, has_next, rows = after is not None, len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
        keys = queries.business_keys(session, [t.instance_id for t in rows])
        titles = queries.instance_titles(session, [t.instance_id for t in rows])
        processes = [(d.process_id, process_name(d.name)) for d in latest_definitions(session)]
        kept = saved_filters.of_user(session, actor.username)
        done = _just_completed(session, actor, request.args.get("done"))
    filters = {"process": process_id or "", "due": due or "", "priority": priority or "", "q": search or ""}
    cursors = {"after": queries.Cursor.of(rows[-1]).token() if rows and tab != "done" else "",
               "before": queries.Cursor.of(rows[0]).token() if rows and tab != "done" else ""}
    return render_template("inbox.html", tab=tab, counts=counts, tasks=rows, keys=keys, titles=titles,
                           now=now, page=page, has_next=has_next, has_previous=has_previous,
                           cursors=cursors, cap=queries.COUNT_CAP, processes=processes,
                           query_args={key: value for key, value in filters.items() if value},
                           process_names=dict(processes), filters=filters, saved=kept, done=done)


def _just_completed(session: Any, actor: Actor, task_id: str | None) -> dict[str, Any] | None:
    """The task this user just completed and where its instance went on: the next steps they may take."""
    if not task_id or not task_id.isdigit() or len(task_id) > 10:
        return None
    task = session.get(HumanTask, int(task_id))
    if task is None or task.completed_by != actor.username:
        return None
    following = [t for t in queries.open_tasks_of(session, task.instance_id) if may_work_on(t, actor)]
    return {"task": task, "next": following}


@blueprint.route("/inbox/claim", methods=["POST"])
def claim_many() -> Any:
    """Claim the tasks ticked in the list, each on its own: those someone else was quicker to are named."""
    with database().reading() as session:
        try:
            get_writer(session, current_user.username)
        except NotPermitted as exc:  # the read-only auditor claims nothing
            abort_for(exc)
    ids = [int(v) for v in request.form.getlist("task_id") if v.isdigit() and len(v) <= 10][:PAGE_SIZE]
    if not ids:
        flash(_("Tick the tasks to claim first."), "error")
        return redirect(_back())
    claimed, refused = 0, []
    for task_id in ids:
        try:
            with database().transaction() as session:
                tasks.claim(session, task_id=task_id, actor=current_user.username)
            claimed += 1
        except CarbonFlowError as exc:
            refused.append(f"#{task_id}: {say(exc.reason or exc)}")
    if claimed:
        flash(ngettext("%(num)d task claimed: it is now in your own list.",
                       "%(num)d tasks claimed: they are now in your own list.", claimed), "success")
    for reason in refused:
        flash(_("Not claimed: %(reason)s", reason=reason), "error")
    return redirect(_back())


@blueprint.route("/inbox/filters", methods=["POST"])
def save_filter() -> Any:
    """Keep the list's current filters under a name, to open again with one click."""
    query = {key: request.form.get(key, "") for key in saved_filters.KEYS}
    try:
        with database().transaction() as session:
            saved_filters.save(session, actor=current_user.username, name=request.form.get("name", ""), query=query)
        flash(_("Filter saved."), "success")
    except InvalidFormData as exc:
        flash(" ".join(say(m) for messages in exc.errors.values() for m in messages), "error")
    except Conflict as exc:
        flash(say(exc.reason), "error")
    return redirect(url_for("inbox.show", **{k: v for k, v in query.items() if v}))


@blueprint.route("/inbox/filters/<int:filter_id>/delete", methods=["POST"])
def delete_filter(filter_id: int) -> Any:
    try:
        with database().transaction() as session:
            saved_filters.delete(session, actor=current_user.username, filter_id=filter_id)
    except NotFound as exc:
        abort_for(exc)
    flash(_("Filter deleted."), "success")
    return redirect(url_for("inbox.show"))


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
    return redirect(_back())


def _back() -> str:
    """The list the request came from (this site's only), else the inbox."""
    target = urlsplit(request.referrer or "")
    if target.netloc == request.host and target.path.startswith("/"):
        return target.path + (f"?{target.query}" if target.query else "")
    return url_for("inbox.show")


def _actor() -> Actor:
    return Actor(current_user.username, current_user.department_code, current_user.role_ids)
