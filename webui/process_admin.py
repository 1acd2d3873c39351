"""Process administration pages (process_admin only): processes, their versions, diffs, upload and the modeler."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.errors import CarbonFlowError, InvalidFormData, InvalidProcess
from engine.read import instance_search, process_versions
from engine.read.steps import directory_names
from engine.services import deployments
from webui import catalog, problems
from webui.auth import admins_only
from webui.errors import abort_for
from webui.extensions import database

blueprint = Blueprint("process_admin", __name__)
MAX_BPMN_BYTES = 5 * 1024 * 1024  # the largest shipped model is under 100 KB


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"element_type": problems.element_type}


blueprint.before_request(admins_only)


@blueprint.route("/processes")
def index() -> Any:
    with database().reading() as session:
        summaries = process_versions.processes(session)
    return render_template("admin/processes.html", summaries=summaries, statuses=process_versions.STATUSES)


@blueprint.route("/processes/<process_id>")
def versions(process_id: str) -> Any:
    with database().reading() as session:
        try:
            found = process_versions.versions(session, process_id)
        except CarbonFlowError as exc:
            abort_for(exc)
        people = directory_names(session).people
    return render_template("admin/versions.html", process_id=process_id, versions=found, people=people,
                           statuses=process_versions.STATUSES)


@blueprint.route("/processes/<process_id>/v<int:version>.bpmn")
def download(process_id: str, version: int) -> Any:
    with database().reading() as session:
        definition = _source(session, process_id, version)
        body = definition.bpmn_source
    return Response(body, content_type="application/xml; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{process_id}-v{version}.bpmn"'})


@blueprint.route("/processes/<process_id>/v<int:version>/diagram")
def heat(process_id: str, version: int) -> Any:
    """A version's diagram with the instances waiting at each element and the incidents at each, as badges."""
    with database().reading() as session:
        definition, waiting, incidents = _heat(session, process_id, version)
    return render_template("admin/heat.html", process_id=process_id, version=version, name=definition.name,
                           waiting=waiting, incidents=incidents)


@blueprint.route("/processes/<process_id>/v<int:version>/heat.json")
def heat_data(process_id: str, version: int) -> Any:
    """The version's BPMN with the counts per element (for the heat page's diagram)."""
    with database().reading() as session:
        definition, waiting, incidents = _heat(session, process_id, version)
        source = definition.bpmn_source
    return jsonify(bpmn=source, waiting=waiting, incidents=incidents)


def _heat(session: Any, process_id: str, version: int) -> tuple[Any, dict[str, int], dict[str, int]]:
    """A version, and how many of its instances wait at each element and are in error at each."""
    return (_source(session, process_id, version), instance_search.waiting_elements(session, process_id, version),
            instance_search.incidents_at(session, process_id, version))


@blueprint.route("/processes/<process_id>/diff")
def diff(process_id: str) -> Any:
    """Two versions compared (by default the newest against the one before it)."""
    found = _compared(process_id)
    return render_template("admin/diff.html", process_id=process_id, old_version=found.old_version,
                           new_version=found.new_version, changes=found.changes, describe=problems.describe_facet)


@blueprint.route("/processes/<process_id>/diff.json")
def diff_data(process_id: str) -> Any:
    """Both versions' BPMN with the ids added, removed and changed (for the diff page's diagrams)."""
    found = _compared(process_id)
    return jsonify(old=found.old_source, new=found.new_source, **{
        kind: [e.element_id for e in found.changes.of_kind(kind)] for kind in ("added", "removed", "changed")})


@blueprint.route("/processes/upload", methods=["POST"])
def upload() -> Any:
    """Deploy a .bpmn file made elsewhere (Camunda Modeler, bpmn.io) as the next version of its process."""
    file = request.files.get("bpmn")
    note = request.form.get("note", "")
    name = file.filename if file is not None and file.filename else ""
    if not name:
        return _not_deployed(name, _("Choose a .bpmn file to upload."))
    source = file.read(MAX_BPMN_BYTES + 1)
    if len(source) > MAX_BPMN_BYTES:
        return _not_deployed(name, _("The file is larger than %(limit)s MB.", limit=MAX_BPMN_BYTES // (1024 * 1024)))
    try:
        with database().transaction() as session:
            done = deployments.deploy_as_admin(session, source=source, file_name=name, actor=current_user.username,
                                               note=note)
            process_id, version = done.definition.process_id, done.definition.version
    except InvalidProcess as exc:
        return render_template("admin/refused.html", file_name=name, note=note,
                               refusals=[problems.describe(p) for p in exc.problems]), 422
    except InvalidFormData:
        return _not_deployed(name, _("Give a change note: what changed and why."), note=note)
    except CarbonFlowError as exc:
        abort_for(exc)
    if done.created:
        flash(_("Deployed %(process)s as version %(version)s.", process=process_id, version=version), "success")
    else:
        flash(_("The file is identical to version %(version)s of %(process)s: no new version was made.",
                version=version, process=process_id), "info")
    return redirect(url_for(".versions", process_id=process_id))


@blueprint.route("/modeler")
@blueprint.route("/processes/<process_id>/v<int:version>/modeler")
def modeler(process_id: str | None = None, version: int | None = None) -> Any:
    """The modeler on a deployed version (or a new blank process)."""
    source_url, newest = None, None
    if process_id is not None:
        with database().reading() as session:
            _source(session, process_id, version or 0)
            newest = process_versions.versions(session, process_id)[0].version
        source_url = url_for(".download", process_id=process_id, version=version)
    return render_template("admin/modeler.html", process_id=process_id, version=version, source_url=source_url,
                           newest=newest,
                           catalog=catalog.modeler_catalog(), labels=catalog.modeler_labels())


def _not_deployed(file_name: str, reason: str, *, note: str = "") -> Any:
    """The upload form again (with the change note typed), and why nothing was deployed."""
    return render_template("admin/refused.html", file_name=file_name or "–", note=note,
                           refusals=[problems.Described("upload", None, "error", reason)]), 422


def _source(session: Any, process_id: str, version: int) -> Any:
    try:
        return process_versions.version_source(session, process_id, version)
    except CarbonFlowError as exc:
        abort_for(exc)


def _compared(process_id: str) -> process_versions.Comparison:
    """The versions named by ?old= and ?new= compared; without them the newest and the one before it."""
    old = new = None
    if "old" in request.args or "new" in request.args:
        try:
            old, new = int(request.args["old"]), int(request.args["new"])
        except (KeyError, ValueError):
            abort(400, description=_("Name two versions to compare: old and new, as numbers."))
        if not (0 < old < 2**31 and 0 < new < 2**31):
            abort(404)
    with database().reading() as session:
        try:
            return process_versions.compare(session, process_id, old, new)
        except CarbonFlowError as exc:
            abort_for(exc)
