"""Starting a process, and an instance's page: status, diagram, steps so far, open tasks, links, evidence."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from engine.bpmn import runtime as rt
from engine.bpmn.parsing import start_events
from engine.bpmn.runtime import shared_runtime
from engine.errors import CarbonFlowError, Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import ProcessDefinition, ProcessInstance
from engine.people import READ_ONLY_ROLE, SessionDirectory
from engine.read import access, audit_chain, queries
from engine.read.definitions import latest_definition, latest_definitions, load_workflow
from engine.read.exports import instance_record_pdf
from engine.read.instance_record import record_of
from engine.services import audit, evidence, instances
from forms import json_schema
from webui.errors import abort_for, refused, status_of
from webui.extensions import database, settings
from webui.i18n import current_locale, process_name
from webui.tasks import parse_form

blueprint = Blueprint("instances", __name__)


def startable(session: Any, role_ids: tuple[str, ...]) -> list[ProcessDefinition]:
    """The newest version of each process this person may start by hand (none for the read-only auditor)."""
    if READ_ONLY_ROLE in role_ids:
        return []
    runtime = shared_runtime()
    found = []
    for definition in latest_definitions(session):
        spec, _subs = runtime.specs(definition.content_hash, lambda d=definition: d.spec_json)
        by_hand = next((s for s in start_events(spec) if s.trigger == "none"), None)
        if by_hand is not None and (not by_hand.start_roles or set(by_hand.start_roles) & set(role_ids)):
            found.append(definition)
    return found


@blueprint.route("/start")
def choose() -> Any:
    with database().reading() as session:
        processes = startable(session, current_user.role_ids)
    return render_template("start.html", processes=processes)


@blueprint.route("/start/<process_id>", methods=["GET", "POST"])
def start(process_id: str) -> Any:
    db = database()
    with db.reading() as session:
        definition = latest_definition(session, process_id, required=False)
        if definition is None or definition.id not in {d.id for d in startable(session, current_user.role_ids)}:
            abort(404)
        schema = json_schema(definition.start_form_key, SessionDirectory(session)) if definition.start_form_key \
            else {"properties": {}, "required": []}
    values: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        values = parse_form(schema, request.form)
        try:
            with db.transaction() as session:
                started = instances.start(session, process_id=process_id, actor=current_user.username,
                                          business_key=request.form.get("business_key") or None, data=values)
                instance_id = started.id
            flash(_("Started."), "success")
            return redirect(url_for("instances.show", instance_id=instance_id))
        except InvalidFormData as exc:
            errors, status = exc.errors, 422
        except CarbonFlowError as exc:
            flash(str(exc), "error")
            status = status_of(exc)
            if status == 403:
                refused(str(exc))
    return render_template("start_form.html", definition=definition, schema=schema, values=values,
                           errors=errors, business_key=request.form.get("business_key", "")), status


def visible_instance(session: Any, instance_id: int) -> ProcessInstance:
    """The instance, for someone who may see it (engine/read/access.py); 404 or 403 otherwise."""
    try:
        return access.readable_instance(session, instance_id, current_user.username)[0]
    except (NotFound, NotPermitted) as exc:
        abort_for(exc)


@blueprint.route("/instances/<int:instance_id>")
def show(instance_id: int) -> Any:
    with database().reading() as session:
        instance = visible_instance(session, instance_id)
        record = record_of(session, instance)
        return render_template("instance.html", instance=instance, definition=record.definition, record=record,
                               open_tasks=queries.open_tasks_of(session, instance_id), names=record.names.people,
                               files=queries.evidence_of(session, instance_id=instance_id), links=record.links,
                               process_names={d.process_id: process_name(d.name) for d in latest_definitions(session)},
                               migrations=queries.audit_events(session, where=queries.AuditFilter(
                                   instance_id=instance_id, action="migrate")))


@blueprint.route("/evidence/<int:evidence_id>")
def evidence_file(evidence_id: int) -> Any:
    """An evidence file as an attachment, checked against its SHA-256; the reading is audited."""
    row, content = _read_evidence(evidence_id)
    # Always a download, never rendered here: an uploaded HTML or SVG file must not run in the app's origin.
    return Response(content, content_type="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.file_name)}",
        "X-Content-Type-Options": "nosniff", "X-Evidence-SHA256": row.sha256})


def _read_evidence(evidence_id: int) -> tuple[Any, bytes]:
    """The file and its content for this reader, its reading audited; the error page otherwise."""
    try:
        with database().transaction() as session:
            return evidence.read(session, evidence_id, current_user.username)
    except (NotFound, NotPermitted, Conflict) as exc:
        abort_for(exc)


# What may be shown in the page, recognised by the file's first bytes (never by the name or declared type).
# SVG and HTML are never shown: they could run script in the app's origin.
_VIEWABLE = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
             (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


@blueprint.route("/evidence/<int:evidence_id>/view")
def view_evidence(evidence_id: int) -> Any:
    """A PDF or image evidence file shown in the browser (checked and audited as a download is); 415 otherwise."""
    row, content = _read_evidence(evidence_id)
    content_type = next((kind for magic, kind in _VIEWABLE if content.startswith(magic)), None)
    if content_type is None:
        abort(415, description=_("Only PDF files and images are shown in the page; download this file instead."))
    return Response(content, content_type=content_type, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(row.file_name)}",
        "X-Content-Type-Options": "nosniff", "X-Evidence-SHA256": row.sha256,
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                                   "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN"})


@blueprint.route("/instances/<int:instance_id>/record.pdf")
def export_record_pdf(instance_id: int) -> Any:
    """The instance's record as a PDF in the page's language, for its readers; the export is audited."""
    with database().reading() as session:
        try:
            body, steps = instance_record_pdf.record_pdf(session, instance_id, by=current_user.username,
                                                         zone=ZoneInfo(settings().timezone), lang=current_locale())
        except (NotFound, NotPermitted) as exc:
            abort_for(exc)
        chain = audit_chain.verified(session)  # the check the file's statement states
    with database().transaction() as session:
        audit.record_checkpoint(session, verified=chain, actor=current_user.username)
        audit.record(session, action="export", actor=current_user.username, instance_id=instance_id,
                     data={"export": "record", "format": "pdf", "rows": steps})
    return Response(body, content_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="carbonflow-record-{instance_id}.pdf"'})


@blueprint.route("/instances/<int:instance_id>/diagram")
def diagram(instance_id: int) -> Any:
    """The BPMN of the version the instance runs on, with its completed and current elements (for diagram.js)."""
    with database().reading() as session:
        instance = visible_instance(session, instance_id)
        definition = session.get(ProcessDefinition, instance.definition_id)
        assert definition is not None  # foreign key
        workflow = load_workflow(session, instance, shared_runtime())
        completed = list(dict.fromkeys(step["name"] for step in rt.completed_steps(workflow)))
        waiting = [element for element, _due in rt.waiting_timers(workflow).values()]
        current = list(dict.fromkeys([t.name for t in queries.open_tasks_of(session, instance_id)] + waiting))
        return jsonify(bpmn=definition.bpmn_source, completed=completed, current=current)
