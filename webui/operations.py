"""Operating the running processes (process_admin only): the instances list with bulk actions, incidents, schedules."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.errors import CarbonFlowError, InvalidFormData
from engine.models import HumanTask
from engine.read import instance_search
from engine.read.definitions import latest_definitions
from engine.read.instance_search import InstanceFilter
from engine.read.process_versions import STATUSES
from engine.read.steps import directory_names
from engine.services import instances, jobs, schedules
from webui import reasons
from webui.auth import admins_only
from webui.errors import abort_for
from webui.extensions import database, settings
from webui.input_guard import BadInput, load_json, whole_number

blueprint = Blueprint("operations", __name__)
MAX_REASON = 2000


blueprint.before_request(admins_only)


@blueprint.route("/instances")
def index() -> Any:
    filters = _filters()
    with database().reading() as session:
        found = instance_search.search(session, filters, page=_page(), plant=_plant())
        processes = latest_definitions(session)
        elements = _elements(session, filters.process_id)
        people = directory_names(session).people
    return render_template("admin/instances.html", found=found, filters=filters, processes=processes,
                           elements=elements, people=people, statuses=STATUSES, query=_query_without_page(),
                           with_status=_with_status)


@blueprint.route("/instances.csv")
def export() -> Any:
    filters = _filters()
    with database().reading() as session:
        rows = instance_search.export_rows(session, filters, plant=_plant())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "process", "version", "title", "business_key", "status", "started_by", "started_at",
                     "updated_at", "waiting_at", "error"])
    for r in rows:
        writer.writerow([r.id, r.process_id, r.version, r.title or "", r.business_key or "", r.status, r.started_by,
                         r.started_at.isoformat(), r.updated_at.isoformat(), " ".join(r.waiting_at),
                         r.error_message or ""])
    # A byte-order mark: Excel opens UTF-8 (Chinese titles) correctly only with one.
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="carbonflow-instances.csv"'})


@blueprint.route("/instances/bulk", methods=["POST"])
def bulk() -> Any:
    back = url_for(".index") + _safe_query(request.form.get("query", ""))
    ids = [whole_number(value) for value in request.form.getlist("instance")]
    if None in ids:
        abort(400, description=_("The instances chosen are not instance numbers."))
    if not ids:
        flash(_("Choose the instances to act on."), "error")
        return redirect(back)
    reason = request.form.get("reason", "").strip()[:MAX_REASON] or None
    try:
        outcomes = instances.bulk(database(), action=request.form.get("action", ""), instance_ids=ids,
                                  actor=current_user.username, reason=reason)
    except InvalidFormData as exc:
        flash(_("Nothing was done: give the reason for terminating.") if "reason" in exc.errors
              else _("Nothing was done: choose suspend, resume or terminate."), "error")
        return redirect(back)
    done = ", ".join(f"#{o.instance_id}" for o in outcomes if o.done)
    if done:
        flash({"suspend": _("Suspended: %(ids)s", ids=done), "resume": _("Resumed: %(ids)s", ids=done),
               "terminate": _("Terminated: %(ids)s", ids=done)}[request.form["action"]], "success")
    for refused in (o for o in outcomes if not o.done):
        flash(_("#%(id)s was not changed: %(reason)s", id=refused.instance_id, reason=reasons.say(refused.reason)),
              "error")
    return redirect(back)


@blueprint.route("/incidents")
def incidents() -> Any:
    with database().reading() as session:
        found = jobs.incidents(session)
        names = {d.process_id: d.name for d in latest_definitions(session)}
    for incident in found:
        incident["element"] = instance_search.element_of_error(incident.get("error"))
        incident["at"] = datetime.fromisoformat(incident["at"]) if incident.get("at") else None
    return render_template("admin/incidents.html", incidents=found, process_names=names)


@blueprint.route("/incidents/jobs/<int:job_id>/retry", methods=["POST"])
def retry_job(job_id: int) -> Any:
    return _act(lambda session: jobs.retry_failed(session, actor=current_user.username, job_id=job_id),
                _("Job %(id)s will run again.", id=job_id))


@blueprint.route("/incidents/jobs/<int:job_id>/cancel", methods=["POST"])
def cancel_job(job_id: int) -> Any:
    reason = _reason()
    if reason is None:
        return redirect(url_for(".incidents"))
    return _act(lambda session: jobs.cancel(session, job_id=job_id, actor=current_user.username, reason=reason),
                _("Job %(id)s was cancelled.", id=job_id))


@blueprint.route("/incidents/instances/<int:instance_id>/retry", methods=["POST"])
def retry_instance(instance_id: int) -> Any:
    text = request.form.get("data", "").strip()
    try:
        data = load_json(text) if text else None
    except BadInput as exc:
        flash(_("The corrected data was not used: %(reason)s", reason=exc.text()), "error")
        return redirect(url_for(".incidents"))
    except ValueError as exc:
        flash(_("The corrected data is not JSON: %(reason)s", reason=exc), "error")
        return redirect(url_for(".incidents"))
    if data is not None and not isinstance(data, dict):
        flash(_("The corrected data must be a JSON object of names and values, e.g. {\"year\": 2026}."), "error")
        return redirect(url_for(".incidents"))
    return _act(lambda session: instances.retry(session, instance_id=instance_id, actor=current_user.username,
                                                data=data),
                _("Instance #%(id)s was run again from its failed step.", id=instance_id))


@blueprint.route("/incidents/instances/<int:instance_id>/terminate", methods=["POST"])
def terminate_instance(instance_id: int) -> Any:
    reason = _reason()
    if reason is None:
        return redirect(url_for(".incidents"))
    return _act(lambda session: instances.terminate(session, instance_id=instance_id, actor=current_user.username,
                                                    reason=reason),
                _("Instance #%(id)s was terminated.", id=instance_id))


@blueprint.route("/schedules")
def schedule_list() -> Any:
    with database().reading() as session:
        rows = schedules.schedules(session)
        names = {d.process_id: d.name for d in latest_definitions(session)}
        last_runs = schedules.last_runs(session)
    return render_template("admin/schedules.html", schedules=rows, process_names=names, last_runs=last_runs,
                           plant=_plant())


@blueprint.route("/schedules/<process_id>", methods=["POST"])
def configure_schedule(process_id: str) -> Any:
    off = request.form.get("off") == "1"
    next_run_at = None
    if not off and request.form.get("next_date"):
        try:
            day = date.fromisoformat(request.form["next_date"])
            hour, minute = (int(p) for p in (request.form.get("next_time") or "09:00").split(":"))
            next_run_at = datetime(day.year, day.month, day.day, hour, minute, tzinfo=_plant())
        except ValueError:
            flash(_("Give the next start as a date and a time (hh:mm)."), "error")
            return redirect(url_for(".schedule_list"))
    period = request.form.get("period", "").strip() or None
    try:
        return _act(lambda session: schedules.configure(session, process_id=process_id, actor=current_user.username,
                                                        next_run_at=next_run_at, period=period, enabled=not off),
                    _("The schedule of %(process)s was changed.", process=process_id), back=url_for(".schedule_list"))
    except InvalidFormData as exc:  # said on the schedules page, in the page's language
        if "period" in exc.errors:
            flash(_("Not changed: the period must be an ISO 8601 duration such as P1Y."), "error")
        elif next_run_at is not None:
            flash(_("Not changed: the next start must be in the future; to start one now, use Start now."), "error")
        else:
            flash(_("Not changed: give the next start date to switch the schedule on."), "error")
        return schedule_list(), 422


@blueprint.route("/schedules/<process_id>/start", methods=["POST"])
def start_now(process_id: str) -> Any:
    started: list[int] = []
    answer = _act(lambda session: started.append(schedules.start_now(session, process_id=process_id,
                                                                     actor=current_user.username)),
                  None, back=url_for(".schedule_list"))
    if started:
        flash(_("Started instance #%(id)s of %(process)s now; the next scheduled start stays as it was.",
                id=started[0], process=process_id), "success")
        return redirect(url_for("instances.show", instance_id=started[0]))
    return answer


def _act(change: Any, done: str | None, *, back: str | None = None) -> Any:
    """Run one change in its transaction and say so on the page it came from; a refusal answers with its reason."""
    try:
        with database().transaction() as session:
            change(session)
    except InvalidFormData:
        raise  # the view says it in the page's language
    except CarbonFlowError as exc:
        abort_for(exc)
    if done:
        flash(done, "success")
    return redirect(back or url_for(".incidents"))


def _reason() -> str | None:
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Give a reason: it is kept in the audit trail."), "error")
        return None
    return reason[:MAX_REASON]


def _filters() -> InstanceFilter:
    args = request.args
    status = args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, description=_("Unknown status %(status)s.", status=status))
    return InstanceFilter(
        process_id=args.get("process") or None, version=_number("version"), status=status,
        text=(args.get("q") or "").strip()[:200] or None, started_from=_day("from"), started_to=_day("to"),
        waiting_at=args.get("waiting") or None)


def _number(name: str) -> int | None:
    value = request.args.get(name)
    if not value:
        return None
    number = whole_number(value)
    if number is None:
        abort(400, description=_("%(field)s must be a number.", field=name))
    return number


def _day(name: str) -> date | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(400, description=_("%(field)s must be a date (YYYY-MM-DD).", field=name))


def _page() -> int:
    return min(_number("page") or 1, 10**6)


def _plant() -> ZoneInfo:
    return ZoneInfo(settings().timezone)


def _elements(session: Any, process_id: str | None) -> list[tuple[str, str]]:
    """The user tasks of a process that instances have waited at (id and title), for the waiting-at filter."""
    if not process_id:
        return []
    rows = session.execute(select(HumanTask.name, HumanTask.title).where(HumanTask.process_id == process_id)
                           .group_by(HumanTask.name, HumanTask.title).order_by(HumanTask.name))
    return list(dict(rows.all()).items())


def _query_without_page() -> str:
    return urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "page" and v])


def _with_status(status: str) -> str:
    """The list's filters with this status instead of the one chosen."""
    return urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in {"page", "status"} and v]
                     + [("status", status)])


def _safe_query(query: str) -> str:
    """The list's own filters to go back to (only a query string, never another address)."""
    return "?" + query if query and not any(c in query for c in "/\\:") else ""
