"""People administration pages (process_admin only): users, their import, departments and the guideline's roles."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from engine.errors import CarbonFlowError, InvalidFormData
from engine.people import ROLES
from engine.read import people
from engine.services import departments, user_rows, users
from webui.auth import admins_only
from webui.errors import abort_for, refused, status_of
from webui.extensions import database
from webui.input_guard import BadInput, load_json

blueprint = Blueprint("people_admin", __name__)
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# What each of the guideline's roles does here (engine/people.py ROLES names them).
ROLE_MEANINGS = {
    "top_management": lazy_gettext("Approves the carbon policy, plans and documents, signs decisions and holds the "
                                   "management review."),
    "carbon_body": lazy_gettext("Runs the carbon management system day to day: evaluates nonconformities, reviews "
                                "data and reports, and prepares the management review."),
    "department_head": lazy_gettext("Answers for their department: analyses causes, plans corrections and confirms "
                                    "the department's data and measures."),
    "carbon_staff": lazy_gettext("Collects and enters emission data, carries out corrections and keeps the records "
                                 "of their work."),
    "internal_auditor": lazy_gettext("Plans and performs internal audits and reports findings; never audits their "
                                     "own department."),
    "document_controller": lazy_gettext("Issues, revises and withdraws controlled documents and keeps their "
                                        "versions."),
    "process_admin": lazy_gettext("Administers CarbonFlow: deploys processes and their versions, handles "
                                  "incidents, manages users, departments and passwords, and may hand any task on."),
    "auditor": lazy_gettext("Reads everything and changes nothing: for external verifiers and regulators. It is "
                            "read-only and cannot be combined with any role that writes."),
}

# An import row's problem in the page's language, by its code (engine/services/user_rows.py).
PROBLEM_TEXTS = {
    "missing_username": lazy_gettext("A username is required."),
    "bad_username": lazy_gettext("“%(value)s” is not a username: up to 80 letters, digits, “.”, “_” or “-”."),
    "reserved_username": lazy_gettext("“%(value)s” is reserved: choose another username."),
    "duplicate_in_file": lazy_gettext("%(value)s appears more than once in the file."),
    "already_exists": lazy_gettext("User %(value)s exists already."),
    "missing_display_name": lazy_gettext("A display name is required."),
    "too_long": lazy_gettext("The display name is longer than 200 characters."),
    "bad_email": lazy_gettext("“%(value)s” is not an e-mail address."),
    "unknown_department": lazy_gettext("Unknown department: %(value)s."),
    "missing_roles": lazy_gettext("At least one role is required."),
    "unknown_role": lazy_gettext("Unknown role(s): %(value)s."),
    "auditor_with_writing_role": lazy_gettext("The read-only auditor role cannot be combined with a role that "
                                              "writes (%(value)s)."),
}


blueprint.before_request(admins_only)


@blueprint.context_processor
def _helpers() -> dict[str, Any]:
    return {"role_ids": list(ROLES), "problem_text": _problem_text}


@blueprint.route("/users", endpoint="users")
def list_users() -> Any:
    filters = {"q": request.args.get("q", "").strip(), "department": request.args.get("department", ""),
               "role": request.args.get("role", ""), "active": request.args.get("active", "")}
    with database().reading() as session:
        found = people.users(session, text=filters["q"] or None, department=filters["department"] or None,
                             role=filters["role"] or None,
                             active={"yes": True, "no": False}.get(filters["active"]))
        known = people.departments(session)
    return render_template("admin/users.html", users=found, filters=filters, departments=known,
                           department_names={d.code: d for d in known})


@blueprint.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    if request.method == "GET":
        return _user_form(None, {})
    try:
        with database().transaction() as session:
            password = users.add_user(session, actor=current_user.username, password=request.form.get("password"),
                                      **_user_fields(with_username=True))
    except CarbonFlowError as exc:
        return _user_form(None, request.form, exc)
    return _shown_once("admin/users_password.html", username=request.form["username"].strip(),
                       password=password, created=True)


@blueprint.route("/users/<username>")
def user(username: str) -> Any:
    return _user_form(username, {})


@blueprint.route("/users/<username>", methods=["POST"])
def update_user(username: str) -> Any:
    try:
        with database().transaction() as session:
            users.update_user(session, actor=current_user.username, username=username, **_user_fields())
    except CarbonFlowError as exc:
        return _user_form(username, request.form, exc)
    flash(_("Saved the changes to %(name)s.", name=username), "success")
    return redirect(url_for(".user", username=username))


@blueprint.route("/users/<username>/deactivate")
def confirm_deactivation(username: str) -> Any:
    """What deactivating the user does, before it is done: the tasks that go back to their role."""
    return _deactivation_page(username)


@blueprint.route("/users/<username>/deactivate", methods=["POST"])
def deactivate(username: str) -> Any:
    try:
        with database().transaction() as session:
            released = [t.id for t in users.deactivate_user(session, actor=current_user.username, username=username)]
    except CarbonFlowError as exc:
        return _deactivation_page(username, exc)
    flash(_("%(name)s is deactivated and signed out everywhere.", name=username) + " " + (
        _("Tasks back with their role: %(ids)s.", ids=", ".join(f"#{i}" for i in released)) if released
        else _("They held no open task.")), "success")
    return redirect(url_for(".user", username=username))


@blueprint.route("/users/<username>/reactivate", methods=["POST"])
def reactivate(username: str) -> Any:
    try:
        with database().transaction() as session:
            users.reactivate_user(session, actor=current_user.username, username=username)
    except CarbonFlowError as exc:
        return _user_form(username, {}, exc)
    flash(_("%(name)s is active again and may sign in.", name=username), "success")
    return redirect(url_for(".user", username=username))


@blueprint.route("/users/<username>/password", methods=["POST"])
def reset_password(username: str) -> Any:
    """A temporary password, shown once; the user's sessions and tokens end and they must change it."""
    try:
        with database().transaction() as session:
            password = users.reset_password_as_admin(session, actor=current_user.username, username=username,
                                                     password=request.form.get("password") or None)
    except CarbonFlowError as exc:
        return _user_form(username, {}, exc)
    return _shown_once("admin/users_password.html", username=username, password=password, created=False)


@blueprint.route("/users/import")
def import_form() -> Any:
    return render_template("admin/users_import.html", columns=user_rows.COLUMNS)


@blueprint.route("/users/import", methods=["POST"])
def import_preview() -> Any:
    """Every bad row of the uploaded file named, or the users it would create; nothing is written."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _import_refused(_("Choose a .csv or .xlsx file to upload."))
    content = file.read(MAX_IMPORT_BYTES + 1)
    if len(content) > MAX_IMPORT_BYTES:
        return _import_refused(_("The file is larger than %(limit)s MB.", limit=MAX_IMPORT_BYTES // (1024 * 1024)))
    try:
        rows = user_rows.parse_file(content, file.filename)
    except InvalidFormData as exc:
        return _import_refused(" ".join(exc.errors.get("file", [str(exc)])))
    with database().reading() as session:
        problems = user_rows.preview_import(session, rows)
    return _import_preview(file.filename, rows, problems)


@blueprint.route("/users/import/confirm", methods=["POST"])
def import_users() -> Any:
    """The previewed rows written, all in one transaction, if none is bad (checked again)."""
    file_name = request.form.get("file_name", "")
    try:
        rows = load_json(request.form.get("rows", ""))
    except BadInput as exc:
        return _import_refused(exc.text())
    except ValueError:
        rows = None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        return _import_refused(_("Nothing to import: upload the file again."))
    try:
        with database().transaction() as session:
            result = users.import_users(session, rows=rows, actor=current_user.username, strict=True)
    except users.RowsRefused as exc:
        return _import_preview(file_name, rows, exc.problems)
    except CarbonFlowError as exc:
        return _import_refused(str(exc), status_of(exc))
    return _shown_once("admin/users_import.html", columns=user_rows.COLUMNS, file_name=file_name,
                       created=result["created"], passwords=result["passwords"])


@blueprint.route("/departments", endpoint="departments")
def list_departments() -> Any:
    return _departments_page()


@blueprint.route("/departments", methods=["POST"])
def create_department() -> Any:
    form = {name: request.form.get(name, "") for name in ("code", "name_zh", "name_en")}
    try:
        with database().transaction() as session:
            departments.create_department(session, actor=current_user.username, **form)
    except CarbonFlowError as exc:
        return _departments_page(exc, form=form)
    flash(_("Department %(code)s created.", code=form["code"].strip()), "success")
    return redirect(url_for(".departments"))


@blueprint.route("/departments/<department_code>", methods=["POST"])
def rename_department(department_code: str) -> Any:
    try:
        with database().transaction() as session:
            departments.rename_department(session, actor=current_user.username, code=department_code,
                                          name_zh=request.form.get("name_zh", ""),
                                          name_en=request.form.get("name_en", ""))
    except CarbonFlowError as exc:
        return _departments_page(exc, code=department_code)
    flash(_("Department %(code)s renamed.", code=department_code), "success")
    return redirect(url_for(".departments"))


@blueprint.route("/roles", endpoint="roles")
def list_roles() -> Any:
    with database().reading() as session:
        holders = people.role_holders(session)
    return render_template("admin/roles.html", roles=ROLES, meanings=ROLE_MEANINGS, holders=holders)


def _shown_once(template: str, **context: Any) -> Any:
    """A page with a password on it: no browser or proxy may keep a copy."""
    response = make_response(render_template(template, **context))
    response.headers["Cache-Control"] = "no-store"
    return response


def _user_fields(*, with_username: bool = False) -> dict[str, Any]:
    form = request.form
    fields = {"display_name": form.get("display_name", ""), "email": form.get("email") or None,
              "department": form.get("department") or None, "roles": form.getlist("roles")}
    return {"username": form.get("username", ""), **fields} if with_username else fields


def _user_form(username: str | None, values: Any, exc: CarbonFlowError | None = None) -> Any:
    """The new-user form (username None) or a user's page, with what was sent and the refusal, if any."""
    with database().reading() as session:
        try:
            found = people.user(session, username) if username else None
        except CarbonFlowError as not_found:
            abort_for(not_found)
        known = people.departments(session)
    chosen = values.getlist("roles") if values else (found.roles if found else ())
    return render_template("admin/users_form.html", user=found, values=values, chosen_roles=chosen,
                           departments=known, **_refusal(exc)), status_of(exc) if exc else 200


def _deactivation_page(username: str, exc: CarbonFlowError | None = None) -> Any:
    with database().reading() as session:
        try:
            found = people.user(session, username)
        except CarbonFlowError as not_found:
            abort_for(not_found)
        claimed = people.claimed_task_list(session, username)
    return render_template("admin/users_deactivate.html", user=found, tasks=claimed,
                           **_refusal(exc)), status_of(exc) if exc else 200


def _import_preview(file_name: str, rows: list[dict[str, Any]], problems: list[user_rows.RowProblem]) -> Any:
    return render_template("admin/users_import.html", columns=user_rows.COLUMNS, file_name=file_name, rows=rows,
                           problems=problems), 422 if problems else 200


def _import_refused(reason: str, status: int = 422) -> Any:
    return render_template("admin/users_import.html", columns=user_rows.COLUMNS, refusal=reason), status


def _departments_page(exc: CarbonFlowError | None = None, *, form: dict[str, str] | None = None,
                      code: str | None = None) -> Any:
    with database().reading() as session:
        found = people.departments(session)
    return render_template("admin/departments.html", departments=found, form=form or {}, failed_code=code,
                           **_refusal(exc)), status_of(exc) if exc else 200


def _refusal(exc: CarbonFlowError | None) -> dict[str, Any]:
    """The engine's reason for the page, and field errors when it was a form's."""
    if exc is None:
        return {"refusal": None, "errors": {}}
    if status_of(exc) == 403:
        refused(str(exc))  # kept by the refusal's audit event
    errors = exc.errors if isinstance(exc, InvalidFormData) else {}
    if isinstance(exc, users.RowsRefused):  # each problem in the page's language
        errors = {}
        for problem in exc.problems:
            errors.setdefault(problem.column, []).append(_problem_text(problem))
    return {"refusal": None if errors else str(exc), "errors": errors}


def _problem_text(problem: user_rows.RowProblem) -> str:
    text = PROBLEM_TEXTS.get(problem.code)
    return str(text) % {"value": problem.value} if text is not None else problem.message
