"""The task page: the form from its declaration, inline errors, drafts, evidence, and the instance's story."""
from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from engine.errors import CarbonFlowError, InvalidFormData, NotFound, NotPermitted, TooManyAttempts
from engine.models import HumanTask, ProcessDefinition, User
from engine.people import ADMIN_ROLE, Actor, SessionDirectory, may_work_on
from engine.read import access, baselines, document_changes, people, queries
from engine.read.definitions import latest_definitions
from engine.read.instance_record import signature_on
from engine.read.steps import directory_names
from engine.read.task_context import context_of
from engine.services import evidence, tasks
from forms import json_schema
from webui.i18n import process_name
from webui.errors import abort_for, refused
from webui.extensions import database, settings
from webui.form_errors import localize
from webui.reasons import say

blueprint = Blueprint("tasks", __name__)
blueprint.add_app_template_global(localize, "form_refusals")
_INDEXED = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[(\d+)\](?:\[([A-Za-z_][A-Za-z0-9_]*)\])?(__present)?$")
# The button that removes a file kept with the draft sends this, then the file's id.
REMOVE_FILE = "remove-file:"


@blueprint.route("/tasks/<int:task_id>", methods=["GET"])
def show(task_id: int) -> Any:
    with database().reading() as session:
        return _page(session, task_id, values=None, errors={})


@blueprint.route("/tasks/<int:task_id>", methods=["POST"])
def submit(task_id: int) -> Any:
    db = database()
    with db.reading() as session:
        task = _visible_task(session, task_id)
        schema = json_schema(task.form_key, SessionDirectory(session))
    values = parse_form(schema, request.form)
    uploads = _uploads()
    action = request.form.get("action", "")
    drafting = action == "draft" or action.startswith(REMOVE_FILE)
    try:
        with db.transaction() as session:
            if drafting:
                removing = [action.removeprefix(REMOVE_FILE)] if action.startswith(REMOVE_FILE) else []
                tasks.save_draft(session, task_id=task_id, actor=current_user.username, data=values,
                                 evidence_files=uploads, remove_files=removing)
                flash(_("Draft saved.") if action == "draft" else _("File removed; the draft is saved."), "success")
                return redirect(url_for("tasks.show", task_id=task_id))
            if task.requires_signature:
                tasks.complete_signed(session, task_id=task_id, actor=current_user.username, data=values,
                                      password=request.form.get("signature_password", ""),
                                      evidence_files=uploads, address=request.remote_addr)
            else:
                tasks.complete(session, task_id=task_id, actor=current_user.username, data=values,
                               evidence_files=uploads)
    except InvalidFormData as exc:
        if not drafting:
            _keep_files(task_id, uploads)
        with db.reading() as session:
            return _page(session, task_id, values=values, errors=exc.errors), 422
    except NotPermitted as exc:  # not theirs to do, or a mistyped signature: the page again, with what they typed
        flash(say(exc.reason or exc), "error")
        refused(str(exc))
        _keep_files(task_id, uploads)
        with db.reading() as session:
            page = _page(session, task_id, values=values, errors={})
        if isinstance(exc, TooManyAttempts):
            return page, 429, {"Retry-After": str(exc.retry_after)}
        return page, 403
    except CarbonFlowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    if task.requires_signature:
        with db.reading() as session:
            flash(_receipt(session, task_id), "success")
    else:
        flash(_("Task completed."), "success")
    # Signing from the approval queue returns to it, for the next decision.
    return redirect(url_for("approvals.show") if request.form.get("return_to") == "approvals"
                    else url_for("inbox.show", done=task_id))  # the inbox says where the instance went on


def _keep_files(task_id: int, uploads: list[evidence.Upload]) -> None:
    """Keep the usable files of a refused submit with the task's draft, so they need not be chosen again."""
    usable = evidence.usable(uploads)
    if not usable:
        return
    try:
        with database().transaction() as session:
            tasks.keep_draft_files(session, task_id=task_id, actor=current_user.username, evidence_files=usable)
    except CarbonFlowError:  # not theirs to keep, or too many: the page says what was refused
        return


def _receipt(session: Any, task_id: int) -> str:
    """What was signed, by whom, when and meaning what: from the signature's audit event."""
    signature = signature_on(session, task_id)
    assert signature is not None  # the task was just completed signed
    meanings = {"approved": _("approved"), "rejected": _("rejected")}
    who = session.scalar(select(User.display_name).where(User.username == signature.by)) or signature.by
    return _("Task completed.") + " " + _("Signed: %(title)s — %(who)s, %(when)s, %(meaning)s.",
                                        title=signature.title, who=who,
                                        when=signature.at.astimezone(ZoneInfo(settings().timezone))
                                        .strftime("%Y-%m-%d %H:%M"),
                                        meaning=meanings.get(signature.meaning, signature.meaning))


@blueprint.route("/tasks/<int:task_id>/delegate", methods=["POST"])
def delegate(task_id: int) -> Any:
    """Hand the task over; the result (or why not) on the task page, or in the inbox once it is no longer theirs."""
    db = database()
    try:
        with db.transaction() as session:
            task = tasks.delegate(session, task_id=task_id, actor=current_user.username,
                                  to_user=request.form.get("to_user", ""), reason=request.form.get("reason"))
            to_name = directory_names(session).people.get(task.assignee or "", task.assignee)
        flash(_("Task handed over to %(name)s.", name=to_name), "success")
    except NotPermitted as exc:  # the page again, saying why, with nothing changed
        flash(say(exc.reason or exc), "error")
        refused(str(exc))
        with db.reading() as session:
            return _page(session, task_id, values=None, errors={}), 403
    except CarbonFlowError as exc:
        flash(say(exc.reason or exc), "error")
    with db.reading() as session:
        try:
            access.readable_task(session, task_id, current_user.username)
        except (NotFound, NotPermitted):  # handed over and no longer theirs to read: on to the inbox
            return redirect(url_for("inbox.show"))
    return redirect(url_for("tasks.show", task_id=task_id))


def _page(session: Any, task_id: int, *, values: dict[str, Any] | None, errors: dict[str, Any]) -> str:
    task = _visible_task(session, task_id)
    actor = _actor()
    instance = queries.get_instance(session, task.instance_id)
    schema = json_schema(task.form_key, SessionDirectory(session))
    history = queries.completed_tasks_of(session, task.instance_id)
    directory = directory_names(session)
    context = context_of(session, task, names=directory)
    drafted = evidence.draft_values(task.draft)
    if values is None:  # a draft first; else what the task was prefilled with, over its previous round's entries
        started = {**(context.previous_entries or {}), **(task.prefill or {})}
        values = drafted or {k: v for k, v in started.items() if k in schema["properties"]}
    return render_template(
        "task.html", task=task, instance=instance, schema=schema, history=history, names=directory.people,
        context=context, values=values, errors=errors, levels=baselines.LEVEL_NAMES,
        from_draft=bool(drafted) and values is drafted, draft_files=evidence.draft_files(task),
        process_name=process_name(session.get(ProcessDefinition, instance.definition_id).name), departments=directory.departments,
        process_names={d.process_id: process_name(d.name) for d in latest_definitions(session)} if context.sources else {},
        baseline=baselines.proposed_against_current(context.steps),
        document=document_changes.against_replaced(session, context.steps, directory),
        return_to=request.form.get("return_to") or request.args.get("from"),
        may_work=task.status == "ready" and may_work_on(task, actor), signing=task.requires_signature,
        evidence_files=queries.evidence_of(session, instance_id=task.instance_id),
        hand_over=people.hand_over_choices(session, task, but=current_user.username),
        admin=ADMIN_ROLE in actor.role_ids)


def _visible_task(session: Any, task_id: int) -> HumanTask:
    """The task, for a reader of its instance (engine/read/access.py); 404 or 403 otherwise."""
    try:
        return access.readable_task(session, task_id, current_user.username)
    except (NotFound, NotPermitted) as exc:
        abort_for(exc)


def _actor() -> Actor:
    return Actor(current_user.username, current_user.department_code, current_user.role_ids)


def _uploads() -> list[evidence.Upload]:
    return [evidence.Upload(f.filename or "", f.read(), f.mimetype or "application/octet-stream")
            for f in request.files.getlist("evidence") if f and f.filename]


def parse_form(schema: dict[str, Any], form: Any) -> dict[str, Any]:
    """The posted HTML form as the JSON the form's schema describes.

    A table's rows come from ``name[i][field]``; a row with every cell empty is dropped, and a table with no
    rows is an empty list. A choice or a date left empty is left out (the form then says it is required, or uses
    its default); text left empty is "".
    """
    data: dict[str, Any] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = {}
    properties = schema.get("properties", {})
    for key in form.keys():
        match = _INDEXED.match(key)
        if match and match.group(1) in properties:
            name, index, field, present = match.group(1), int(match.group(2)), match.group(3), match.group(4)
            row = rows.setdefault(name, {})
            item_schema = properties[name].get("items", {})
            if field is None:
                row[index] = _value(item_schema, form.get(key))
                continue
            sub = item_schema.get("properties", {}).get(field, {})
            cells = row.setdefault(index, {})
            if present:  # an unticked checkbox sends only its marker
                cells.setdefault(field, False)
            elif not _left_empty(sub, form.get(key)):
                cells[field] = _value(sub, form.get(key))
    for name, prop in properties.items():
        if _type(prop) == "array" and _type(prop.get("items", {})) == "object":
            data[name] = [cells for _i, cells in sorted(rows.get(name, {}).items()) if not _blank(cells)]
        elif name in rows:
            data[name] = [rows[name][i] for i in sorted(rows[name])]
        elif _type(prop) == "array":
            picked = [v for v in form.getlist(name) if v != ""]
            if picked or name in form:
                data[name] = picked
        elif _type(prop) == "boolean":
            if name in form or f"{name}__present" in form:
                data[name] = form.get(name) in ("on", "true", "1")
        elif name in form and not _left_empty(prop, form.get(name)):
            value = _value(prop, form.get(name))
            if value is not None or "null" in _types(prop):
                data[name] = value
    return data


def _left_empty(prop: dict[str, Any], text: str | None) -> bool:
    """A choice, a date or a number with nothing entered (text fields keep "")."""
    chosen = "enum" in prop or "x-choices" in prop or prop.get("format") in ("date", "date-time")
    return (chosen or _type(prop) != "string") and (text is None or text.strip() == "")


def _blank(cells: dict[str, Any]) -> bool:
    """A table row with nothing entered in any cell."""
    return all(value in (None, "", False) or (isinstance(value, str) and not value.strip())
               for value in cells.values())


def _value(prop: dict[str, Any], text: str | None) -> Any:
    if _type(prop) == "boolean":
        return text in ("on", "true", "1")
    if text is None or text.strip() == "":
        return None if "null" in _types(prop) or _type(prop) != "string" else ""
    if _type(prop) == "integer":
        try:
            return int(text)
        except ValueError:
            return text  # the form refuses it, naming the field
    if _type(prop) == "number":
        try:
            return float(text)
        except ValueError:
            return text
    return text


def _types(prop: dict[str, Any]) -> list[str]:
    kind = prop.get("type", "string")
    return kind if isinstance(kind, list) else [kind]


def _type(prop: dict[str, Any]) -> str:
    return next((t for t in _types(prop) if t != "null"), "string")
