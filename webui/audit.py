"""The auditor's pages: the audit trail with its chain check, and every export (CSV, XLSX, PDF) for offline reading."""
from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from engine import queries
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.exports import audit_trail, formats
from engine.exports.period import ReportingPeriod
from engine.services import access, audit

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50
EXPORT = "<any(csv, xlsx, pdf):fmt>"


@blueprint.route("")
def trail() -> Any:
    from webui.app import database
    period, errors = _period()
    where = queries.AuditFilter(since=period.since, until=period.until, actor=request.args.get("actor") or None,
                                action=request.args.get("action") or None,
                                instance_id=request.args.get("instance", type=int))
    page = max(request.args.get("page", 1, type=int), 1)
    with database().reading() as session:
        _require_oversight(session, "the audit trail")
        total = queries.count_audit_events(session, where)
        events = queries.audit_events(session, where=where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        actions = queries.audit_actions(session)
    return render_template("audit.html", rows=audit_trail.rows(events, period.zone), total=total, page=page,
                           has_next=page * PAGE_SIZE < total, actions=actions, errors=errors,
                           filters=_filters()), (422 if errors else 200)


@blueprint.route("/verify")
def verify() -> Any:
    from webui.app import database
    with database().reading() as session:
        _require_oversight(session, "the audit trail")
        result = audit.verify_chain(session)
    return render_template("audit_verify.html", result=result), (200 if result.ok else 409)


@blueprint.route(f"/export/audit.{EXPORT}")
def export_audit(fmt: str) -> Any:
    period, errors = _period()
    if errors:
        abort(422)
    return _export(fmt, "audit-trail", lambda session: audit_trail.audit_trail_table(
        session, period=period, actor=request.args.get("actor"), action=request.args.get("action"),
        instance_id=request.args.get("instance", type=int), by=current_user.username))


def _export(fmt: str, name: str, build: Any) -> Response:
    """Build the table in a read, record who exported what in its own short transaction, send the file."""
    from webui.app import database
    with database().reading() as session:
        try:
            table = build(session)
        except NotPermitted:
            abort(403)
        except NotFound:
            abort(404)
        body = formats.render(table, fmt)
    with database().transaction() as session:
        audit.record(session, action="export", actor=current_user.username,
                     data={"export": name, "format": fmt, "rows": len(table.rows), "filter": _filters()})
    file_name = f"carbonflow-{name}-{date.today().isoformat()}.{fmt}"
    return Response(body, content_type=formats.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


def _require_oversight(session: Any, what: str) -> None:
    try:
        access.require_oversight(session, current_user.username, what)
    except NotPermitted:
        abort(403)


def _period() -> tuple[ReportingPeriod, dict[str, Any]]:
    from webui.app import settings
    zone = settings().timezone
    try:
        return ReportingPeriod.parse(request.args.get("from"), request.args.get("to"), zone), {}
    except InvalidFormData as exc:
        return ReportingPeriod(None, None, ZoneInfo(zone)), exc.errors


def _filters() -> dict[str, str]:
    return {key: value for key, value in request.args.items() if key != "page" and value}
