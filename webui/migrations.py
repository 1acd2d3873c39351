"""Migrating running instances to a newer version (process_admin only): a preview per instance, then the move."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.errors import CarbonFlowError
from engine.models import ProcessDefinition, ProcessInstance
from engine.services import migrations
from engine.services.migrations import MOVABLE
from webui import reasons
from webui.auth import admins_only
from webui.errors import abort_for
from webui.extensions import database
from webui.input_guard import whole_number

blueprint = Blueprint("migrations", __name__)
MAX_INSTANCES = 500  # one preview page; more are moved version by version


blueprint.before_request(admins_only)


@blueprint.route("/instances/migrate/preview", methods=["POST"])
def preview() -> Any:
    """Where each chosen instance's open tasks and waits would go, and which cannot move and why."""
    to_version, mapping = _target(), _mapping(request.form.get("mapping", ""))
    with database().reading() as session:
        ids = _chosen(session)
        try:
            found = migrations.preview(session, instance_ids=ids, to_version=to_version, mapping=mapping,
                                       actor=current_user.username)
        except CarbonFlowError as exc:
            abort_for(exc)
    return render_template("admin/migration_preview.html", previews=found, to_version=to_version, say=reasons.say,
                           mapping=request.form.get("mapping", ""), query=request.form.get("query", ""))


@blueprint.route("/instances/migrate", methods=["POST"])
def migrate() -> Any:
    """Move each chosen instance that can move, each in its own transaction; name the ones refused."""
    to_version, mapping = _target(), _mapping(request.form.get("mapping", ""))
    with database().reading() as session:
        ids = _chosen(session)
    outcomes = migrations.migrate_each(database(), instance_ids=ids, to_version=to_version, mapping=mapping,
                                       actor=current_user.username)
    done = [o.instance_id for o in outcomes if o.done]
    if done:
        flash(_("Moved %(count)s instance(s) to version %(version)s: %(ids)s", count=len(done), version=to_version,
                ids=", ".join(f"#{i}" for i in done)), "success")
    for refused in (o for o in outcomes if not o.done):
        flash(_("#%(id)s stayed where it was: %(reason)s", id=refused.instance_id,
                reason=" ".join(reasons.say(r) for r in refused.reasons)), "error")
    return redirect(url_for("operations.index") + ("?" + request.form["query"] if request.form.get("query") else ""))


def _chosen(session: Any) -> list[int]:
    """The instances chosen one by one, or all running and suspended ones on a process's version."""
    if request.form.get("process") and request.form.get("from_version"):
        version = _number(request.form["from_version"], "from_version")
        ids = list(session.scalars(
            select(ProcessInstance.id).join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
            .where(ProcessDefinition.process_id == request.form["process"], ProcessDefinition.version == version,
                   ProcessInstance.status.in_(MOVABLE)).order_by(ProcessInstance.id).limit(MAX_INSTANCES)))
    else:
        ids = [_number(value, "instance") for value in request.form.getlist("instance")][:MAX_INSTANCES]
    if not ids:
        abort(422, description=_("Choose the instances to migrate (or a process and the version they run on)."))
    return ids


def _target() -> int:
    return _number(request.form.get("to_version", ""), "to_version")


def _number(value: str, field: str) -> int:
    number = whole_number(value)
    if number is None or number < 1:
        if field == "instance":
            abort(422, description=_("Choose instances by their numbers, not “%(value)s”.", value=value[:40]))
        abort(422, description=_("Give the version to migrate to as a number, not “%(value)s”.", value=value[:40]))
    return number


def _mapping(text: str) -> dict[str, str]:
    """A mapping of renamed elements, one ``old_id = new_id`` a line."""
    mapping = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        old, sep, new = line.partition("=")
        if not sep or not old.strip() or not new.strip():
            abort(422, description=_("Mapping line %(number)s must read old_id = new_id, not “%(line)s”.",
                                     number=number, line=line[:80]))
        mapping[old.strip()] = new.strip()
    return mapping
