"""Process administration over the API (process_admin only): validate, deploy, versions, their BPMN and diffs."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, jsonify, make_response

from engine.errors import InvalidProcess
from engine.people import get_admin
from engine.read import process_versions
from engine.services import deployments, validation
from webui import problems
from webui.api import schemas
from webui.api.auth import current_actor
from webui.api.errors import error_body, resource
from webui.extensions import database

blueprint = resource("api_process_versions", "/api/v1/processes",
                     "Process administration (process_admin): validating and deploying BPMN, versions, diffs.")

MAX_BPMN_CHARS = 5 * 1024 * 1024


class Model(ma.Schema):
    bpmn = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=MAX_BPMN_CHARS),
                            metadata={"description": "the BPMN 2.0 XML"})
    file_name = ma.fields.String(load_default="model.bpmn", validate=ma.validate.Length(min=1, max=200))


class Deploy(Model):
    note = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=deployments.MAX_NOTE),
                            metadata={"description": "the change note: what changed and why"})


class Problem(ma.Schema):
    code = ma.fields.String(metadata={"description": "stable code, e.g. no_form_key or unreachable"})
    element = ma.fields.String(allow_none=True, metadata={"description": "the BPMN id of the element"})
    severity = ma.fields.String(metadata={"description": "error (deploy refuses it) or warning"})
    message = ma.fields.String(metadata={"description": "in English"})
    text = ma.fields.String(metadata={"description": "in the language of the caller's page session"})


class ValidationResult(ma.Schema):
    process_id = ma.fields.String(allow_none=True)
    name = ma.fields.String(allow_none=True)
    deployable = ma.fields.Boolean()
    identical = ma.fields.Boolean(metadata={"description": "the same content as the newest deployed version"})
    unchanged = ma.fields.Boolean(metadata={
        "description": "what runs is the same as in the newest version (only layout or formatting differ)"})
    latest_version = ma.fields.Integer(allow_none=True, metadata={"description": "the newest deployed version"})
    refusals = ma.fields.List(ma.fields.Nested(Problem))
    warnings = ma.fields.List(ma.fields.Nested(Problem))


class DeployResult(ma.Schema):
    process_id = ma.fields.String()
    version = ma.fields.Integer()
    created = ma.fields.Boolean(metadata={"description": "false: identical to this version, nothing stored"})


class Version(ma.Schema):
    process_id = ma.fields.String()
    version = ma.fields.Integer()
    name = ma.fields.String()
    file_name = ma.fields.String()
    deployed_by = ma.fields.String()
    deployed_at = schemas.Moment()
    change_note = ma.fields.String(allow_none=True)
    content_hash = ma.fields.String()
    instances = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                               metadata={"description": "instances on this version by status"})


class DiffQuery(ma.Schema):
    old = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "default: the version before the newest"})
    new = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "default: the newest version"})


class FacetChange(ma.Schema):
    facet = ma.fields.String()
    old = ma.fields.String(allow_none=True)
    new = ma.fields.String(allow_none=True)
    text = ma.fields.String(metadata={"description": "the change in words, in the caller's page language"})


class ElementDiff(ma.Schema):
    element_id = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "added, removed or changed"})
    type = ma.fields.String()
    name = ma.fields.String(allow_none=True)
    changes = ma.fields.List(ma.fields.Nested(FacetChange))


class Diff(ma.Schema):
    old = ma.fields.Integer()
    new = ma.fields.Integer()
    empty = ma.fields.Boolean()
    elements = ma.fields.List(ma.fields.Nested(ElementDiff))


@blueprint.route("/validate", methods=["POST"])
@blueprint.arguments(Model)
@blueprint.response(200, ValidationResult)
@blueprint.alt_response(403, description="Not a process_admin.")
def validate(body: dict[str, Any]) -> dict[str, Any]:
    """Run every deploy check on a model without storing it: its refusals and warnings, each at its element."""
    with database().reading() as session:
        get_admin(session, current_actor())
        result = validation.validate(session, source=body["bpmn"].encode("utf-8"), file_name=body["file_name"])
    return {"process_id": result.process_id, "name": result.name, "deployable": result.deployable,
            "identical": result.identical, "unchanged": result.unchanged, "latest_version": result.latest_version,
            "refusals": [_problem(p) for p in result.refusals],
            "warnings": [_problem(p) for p in result.warnings]}


@blueprint.route("/deployments", methods=["POST"])
@blueprint.arguments(Deploy)
@blueprint.response(201, DeployResult)
@blueprint.alt_response(200, schema=DeployResult, description="Identical to the newest version: nothing stored.")
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(422, description="The model is refused; `problems` lists every refusal at its element.")
def deploy(body: dict[str, Any]) -> Any:
    """Deploy a model as the next version of the process its id names, with a change note."""
    try:
        with database().transaction() as session:
            done = deployments.deploy_as_admin(session, source=body["bpmn"].encode("utf-8"),
                                               file_name=body["file_name"], actor=current_actor(), note=body["note"])
            result = {"process_id": done.definition.process_id, "version": done.definition.version,
                      "created": done.created}
    except InvalidProcess as exc:
        answer, code = error_body(422, str(exc))
        # A Response of its own: the 201 schema would drop the problems.
        return make_response(jsonify({**answer, "problems": [_problem(p) for p in exc.problems]}), code)
    return result, 201 if result["created"] else 200


@blueprint.route("/<process_id>/versions")
@blueprint.response(200, Version(many=True))
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No process is deployed with this id.")
def versions(process_id: str) -> list[Any]:
    """Every version of a process, newest first, with its author, change note and instances by status."""
    with database().reading() as session:
        get_admin(session, current_actor())
        found = process_versions.versions(session, process_id)
    return [{**vars(v), "deployed_at": v.deployed_at.isoformat()} for v in found]


@blueprint.route("/<process_id>/versions/<int:version>/bpmn")
@blueprint.response(200, description="The version's BPMN 2.0 XML, as deployed.",
                    content_type="application/xml")
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No such process or version.")
def bpmn(process_id: str, version: int) -> Response:
    """A version's BPMN file."""
    with database().reading() as session:
        get_admin(session, current_actor())
        source = process_versions.version_source(session, process_id, version).bpmn_source
    return Response(source, content_type="application/xml; charset=utf-8")


@blueprint.route("/<process_id>/diff")
@blueprint.arguments(DiffQuery, location="query")
@blueprint.response(200, Diff)
@blueprint.alt_response(403, description="Not a process_admin.")
@blueprint.alt_response(404, description="No such process or version.")
def diff(query: dict[str, int], process_id: str) -> dict[str, Any]:
    """What changed from one version to another, element by element (layout and formatting aside)."""
    with database().reading() as session:
        get_admin(session, current_actor())
        found = process_versions.compare(session, process_id, query["old"], query["new"])
    changes = found.changes
    return {"old": found.old_version, "new": found.new_version, "empty": changes.empty, "elements": [
        {"element_id": e.element_id, "kind": e.kind, "type": e.type, "name": e.name,
         "changes": [{"facet": c.facet, "old": c.old, "new": c.new, "text": problems.describe_facet(c)}
                     for c in e.changes]} for e in changes.elements]}


def _problem(problem: Any) -> dict[str, Any]:
    described = problems.describe(problem)
    return {"code": problem.code, "element": problem.element, "severity": problem.severity,
            "message": problem.message, "text": described.text}
