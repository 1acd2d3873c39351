"""The auditor's pages: the audit trail with its chain check, the nonconformity register and traces, the records
by clause, and every export (CSV, XLSX, PDF) for offline reading."""
from __future__ import annotations

from datetime import date, datetime
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from engine import clock
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.read import access, audit_chain, clauses, labels, nonconformities, queries
from engine.read.audit_entries import audit_entries
from engine.read.exports import audit_trail, formats, nonconformity_exports
from engine.read.exports.period import ReportingPeriod
from engine.read.nonconformities import NonconformityFilter
from engine.read.nonconformity_trace import trace as nonconformity_trace
from engine.services import audit
from forms.describe import choice_labels
from webui.errors import abort_for
from webui.extensions import database, settings
from webui.i18n import LANGUAGES, current_locale
from webui.input_guard import int_arg, page_arg

blueprint = Blueprint("audit", __name__, url_prefix="/audit")
PAGE_SIZE = 50
EXPORT = "<any(csv, xlsx, pdf):fmt>"


@blueprint.route("")
def trail() -> Any:
    period, errors = _period()
    where = queries.AuditFilter(since=period.since, until=period.until, actor=request.args.get("actor") or None,
                                action=request.args.get("action") or None,
                                instance_id=int_arg("instance"))
    lang = current_locale()
    with database().reading() as session:
        _require_oversight(session, "the audit trail")
        total = queries.count_audit_events(session, where)
        page, pages = _page_of(total)
        events = queries.audit_events(session, where=where, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                      newest_first=True)
        names = labels.labels(session, lang)
        entries = audit_entries(session, events, zone=period.zone, lang=lang, names=names)
        actions = sorted(queries.audit_actions(session), key=names.action)
        actors = sorted({*names.people, "system"}, key=names.person)
    return render_template("audit.html", rows=entries, total=total, page=page, pages=pages, names=names,
                           actions=actions, actors=actors, errors=errors, filters=_filters()), (422 if errors else 200)


@blueprint.route("/verify")
def verify() -> Any:
    """The events since the last checkpoint (``?full=1``: the whole chain), checked; an intact check is recorded."""
    full = request.args.get("full") == "1"
    with database().reading() as session:
        _require_oversight(session, "the audit trail")
        result = audit_chain.verify_chain(session, full=full)
    # Checked outside the write transaction: on SQLite a whole check would hold the write lock for seconds.
    with database().transaction() as session:
        recorded = audit.record_checkpoint(session, verified=result, actor=current_user.username)
    return render_template("audit_verify.html", result=result, recorded=recorded), \
        (200 if result.ok else 409)


@blueprint.route(f"/export/audit.{EXPORT}")
def export_audit(fmt: str) -> Any:
    period = _export_period()
    return _export(fmt, "audit-trail", lambda session: _table_file(audit_trail.audit_trail_table(
        session, period=period, actor=request.args.get("actor"), action=request.args.get("action"),
        instance_id=int_arg("instance"), by=current_user.username, lang=_export_lang()), fmt))


@blueprint.route("/nonconformities")
def register() -> Any:
    period, errors = _period()
    where, now = _nonconformity_filter(period), clock.now()
    with database().reading() as session:
        _require_oversight(session, "the nonconformity register")
        counts = nonconformities.counts(session, where=where, now=now)
        page, pages = _page_of(counts.matching)
        rows = nonconformities.register(session, where=where, now=now, limit=PAGE_SIZE,
                                        offset=(page - 1) * PAGE_SIZE)
        names = labels.labels(session, current_locale())
    return render_template("nonconformities.html", rows=rows,
                           total=counts.matching, page=page, pages=pages, names=names,
                           counts=counts.tabs, errors=errors, filters=_filters(),
                           sources=choice_labels("corrective_action.raise", "source"),
                           severities=choice_labels("corrective_action.analyse_cause", "severity")), \
        (422 if errors else 200)


@blueprint.route("/nonconformities/<int:instance_id>")
def trace(instance_id: int) -> Any:
    with database().reading() as session:
        _require_oversight(session, "a nonconformity's trace")
        found = nonconformity_trace(session, instance_id)
        names = labels.labels(session, current_locale())
    if found is None:
        abort(404, description=f"no nonconformity {instance_id}: no corrective action instance has this id")
    return render_template("nonconformity_trace.html", trace=found, nc=found.nonconformity, names=names,
                           local_moment=_local_moment,
                           sources=choice_labels("corrective_action.raise", "source"),
                           severities=choice_labels("corrective_action.analyse_cause", "severity"))


@blueprint.route("/records")
def records() -> Any:
    period, errors = _period(default_year=True)
    with database().reading() as session:
        _require_oversight(session, "the records by clause")
        held = clauses.records_by_clause(session, since=period.since, until=period.until)
        names = labels.labels(session, current_locale())
    return render_template("records.html", held=held, period=period, errors=errors, names=names), \
        (422 if errors else 200)


@blueprint.route(f"/export/nonconformities.{EXPORT}")
def export_nonconformities(fmt: str) -> Any:
    period = _export_period()
    return _export(fmt, "nonconformities", lambda session: _table_file(nonconformity_exports.register_table(
        session, period=period, where=_nonconformity_filter(period), by=current_user.username,
        lang=_export_lang()), fmt))


@blueprint.route("/export/trace-<int:instance_id>.pdf")
def export_trace_pdf(instance_id: int) -> Any:
    return _export("pdf", f"nonconformity-{instance_id}", lambda session: nonconformity_exports.trace_pdf(
        session, instance_id, by=current_user.username, zone=ZoneInfo(settings().timezone), lang=_export_lang()),
        instance_id=instance_id)


@blueprint.route("/export/records.pdf")
def export_records_pdf() -> Any:
    period, errors = _period(default_year=True)
    if errors:
        abort_for(InvalidFormData("period", errors))
    return _export("pdf", "records-by-clause", lambda session: nonconformity_exports.records_pdf(
        session, period=period, by=current_user.username, lang=_export_lang()))


def _table_file(table: formats.Table, fmt: str) -> tuple[bytes, int]:
    return formats.render(table, fmt), len(table.rows)


def _export(fmt: str, name: str, build: Any, instance_id: int | None = None) -> Response:
    """Build the file in a read, record its chain check and who exported what in a short transaction, send it."""
    with database().reading() as session:
        try:
            body, rows = build(session)
        except (NotPermitted, NotFound) as exc:
            abort_for(exc)
        chain = audit_chain.verified(session)  # the check the file's statement states
    with database().transaction() as session:
        audit.record_checkpoint(session, verified=chain, actor=current_user.username)
        audit.record(session, action="export", actor=current_user.username, instance_id=instance_id,
                     data={"export": name, "format": fmt, "rows": rows, "filter": _filters(), "lang": _export_lang()})
    file_name = f"carbonflow-{name}-{date.today().isoformat()}.{fmt}"
    return Response(body, content_type=formats.CONTENT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


def _require_oversight(session: Any, what: str) -> None:
    try:
        access.require_oversight(session, current_user.username, what)
    except NotPermitted as exc:
        abort_for(exc)


def _period(*, default_year: bool = False) -> tuple[ReportingPeriod, dict[str, Any]]:
    """The period the query string asks for; with ``default_year``, this year at the plant when it asks none."""
    zone = settings().timezone
    first, last = request.args.get("from"), request.args.get("to")
    if default_year and not first and not last:
        return ReportingPeriod.year(clock.now().astimezone(ZoneInfo(zone)).year, zone), {}
    try:
        return ReportingPeriod.parse(first, last, zone), {}
    except InvalidFormData as exc:
        return ReportingPeriod(None, None, ZoneInfo(zone)), exc.errors


def _export_period() -> ReportingPeriod:
    """The period an export asks for; a 422 page naming the bad field when it is not one."""
    period, errors = _period()
    if errors:
        abort_for(InvalidFormData("period", errors))
    return period


def _nonconformity_filter(period: ReportingPeriod) -> NonconformityFilter:
    args = request.args
    status = args.get("status") if args.get("status") in nonconformities.STATUSES else None
    return NonconformityFilter(status=status, source=args.get("source") or None,
                               severity=args.get("severity") or None, clause=args.get("clause") or None,
                               department=args.get("department") or None, search=args.get("q") or None,
                               since=period.since, until=period.until)


def _filters() -> dict[str, str]:
    """The query's filters, for links that keep them (the page and the language apart)."""
    return {key: value for key, value in request.args.items() if key not in ("page", "lang") and value}


def _local_moment(text: str) -> str:
    """A time recorded as ISO text, on the plant's clock; the text as it is when it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return moment.astimezone(ZoneInfo(settings().timezone)).strftime("%Y-%m-%d %H:%M")


def _export_lang() -> str:
    """An export's language: ``?lang=`` when it names one, else the page's (Chinese by default)."""
    asked = request.args.get("lang")
    return asked if asked in LANGUAGES else current_locale()


def _page_of(total: int) -> tuple[int, int]:
    """(the page asked for, kept within the last one; how many pages ``total`` rows fill, at least one)."""
    pages = max(ceil(total / PAGE_SIZE), 1)
    return min(page_arg(), pages), pages
