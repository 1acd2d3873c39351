"""People administration over the API (process_admin only): users, their import, departments and the roles.

The engine's services check the caller and audit every write; each write is one transaction with its audit
event. Answers that carry a temporary password are marked Cache-Control: no-store: it is shown once.
"""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import jsonify, make_response, url_for
from flask.views import MethodView

from engine.errors import NotFound
from engine.people import ROLES, get_admin
from engine.read import people
from engine.services import departments, user_rows, users
from webui.api.auth import current_actor
from webui.api.errors import error_body, resource
from webui.extensions import database

blueprint = resource("api_users", "/api/v1/users",
                     "People administration (process_admin): users, departments, roles.")

SHOWN_ONCE = {"Cache-Control": "no-store"}
NOT_ADMIN = "Not a process_admin."
Text = ma.fields.String


def _username() -> dict[str, Any]:
    """The username path parameter, never one of the reserved words (/users/roles is the roles, not a user)."""
    return {"in": "path", "name": "username", "schema": {
        "type": "string", "minLength": 1, "not": {"enum": sorted(user_rows.RESERVED_USERNAMES)}}}


class UserQuery(ma.Schema):
    q = Text(load_default=None, validate=ma.validate.Length(min=1, max=200),
             metadata={"description": "in the username, display name or e-mail, ignoring case"})
    department = Text(load_default=None, metadata={"description": "a department code"})
    role = Text(load_default=None, metadata={"description": "a role id"})
    active = ma.fields.Boolean(load_default=None, metadata={"description": "true: active users; false: deactivated"})


class Person(ma.Schema):
    username = Text()
    display_name = Text()
    email = Text(allow_none=True)
    department = Text(allow_none=True, metadata={"description": "the department's code"})
    roles = ma.fields.List(Text(), metadata={"description": "role ids"})
    active = ma.fields.Boolean()
    must_change_password = ma.fields.Boolean()


class NewPerson(ma.Schema):
    username = Text(required=True)
    display_name = Text(required=True)
    email = Text(load_default=None, allow_none=True)
    department = Text(load_default=None, allow_none=True, metadata={"description": "a department code"})
    roles = ma.fields.List(Text(), required=True, metadata={"description": "role ids, at least one"})


class Created(Person):
    temporary_password = Text(metadata={"description": "shown this once; the user changes it at first sign-in"})


class PersonChanges(ma.Schema):
    display_name = Text()
    email = Text(allow_none=True, metadata={"description": "null clears it"})
    department = Text(allow_none=True, metadata={"description": "a department code; null clears it"})
    roles = ma.fields.List(Text(), metadata={"description": "role ids, at least one: they replace the user's roles"})


class Deactivated(ma.Schema):
    user = ma.fields.Nested(Person)
    tasks_returned = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "the open tasks the user held, now back with their role"})


class PasswordReset(ma.Schema):
    password = Text(load_default=None, load_only=True, validate=ma.validate.Length(min=1), metadata={
        "description": f"the temporary password (at least {users.PASSWORD_MIN_LENGTH} characters); "
                       "made here when not given"})


class TemporaryPassword(ma.Schema):
    temporary_password = Text(metadata={"description": "shown this once; the user changes it at their next sign-in"})


class ImportRow(ma.Schema):
    username = Text(load_default="")
    display_name = Text(load_default="")
    email = Text(load_default=None, allow_none=True)
    department = Text(load_default=None, allow_none=True, metadata={"description": "a department code"})
    roles = ma.fields.List(Text(), load_default=list, metadata={"description": "role ids"})


class ImportRequest(ma.Schema):
    rows = ma.fields.List(ma.fields.Nested(ImportRow), required=True,
                          validate=ma.validate.Length(min=1, max=user_rows.MAX_ROWS),
                          metadata={"description": "one new user a row"})
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "only check the rows; write nothing"})


class RowProblem(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "the row's place in `rows`, counting from 1"})
    column = Text(metadata={"description": "the field: username, display_name, email, department or roles"})
    code = Text(metadata={"description": "stable code, e.g. already_exists or unknown_department"})
    value = Text(metadata={"description": "the value the problem names"})
    message = Text(metadata={"description": "in English"})


class ImportResult(ma.Schema):
    problems = ma.fields.List(ma.fields.Nested(RowProblem), metadata={"description": "empty: every row is good"})
    written = ma.fields.Integer(metadata={"description": "how many users were created (0 for a dry run)"})
    temporary_passwords = ma.fields.Dict(keys=Text(), values=Text(), metadata={
        "description": "each created user's temporary password, by username: shown this once"})


class Department(ma.Schema):
    code = Text()
    name_zh = Text()
    name_en = Text()
    members = ma.fields.Integer(metadata={"description": "active users in the department"})


class NewDepartment(ma.Schema):
    code = Text(required=True, metadata={"description": "lower-case letters, digits, '_', '.' or '-'; it stays"})
    name_zh = Text(required=True)
    name_en = Text(required=True)


class DepartmentNames(ma.Schema):
    name_zh = Text()
    name_en = Text()


class RoleHeld(ma.Schema):
    id = Text()
    name_zh = Text()
    name_en = Text()
    holders = ma.fields.Integer(metadata={"description": "active users holding the role"})


@blueprint.route("", endpoint="users")
class Users(MethodView):
    @blueprint.arguments(UserQuery, location="query")
    @blueprint.response(200, Person(many=True))
    @blueprint.alt_response(403, description=NOT_ADMIN)
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Users by username, filtered by text, department, role and whether they are active."""
        with database().reading() as session:
            get_admin(session, current_actor())
            found = people.users(session, text=query["q"], department=query["department"], role=query["role"],
                                 active=query["active"])
        return [_person(u) for u in found]

    @blueprint.arguments(NewPerson)
    @blueprint.response(201, Created)
    @blueprint.alt_response(403, description=NOT_ADMIN)
    @blueprint.alt_response(422, description="A field is missing or bad, or the username is taken; `errors` names it.")
    def post(self, body: dict[str, Any]) -> Any:
        """Create a user with a temporary password, shown this once, to change at first sign-in."""
        with database().transaction() as session:
            password = users.add_user(session, actor=current_actor(), **body)
            created = {**_person(people.user(session, body["username"].strip())), "temporary_password": password}
        return created, {**SHOWN_ONCE, "Location": url_for("api_users.user", username=created["username"])}


@blueprint.route("/<username>", endpoint="user", parameters=[_username()])
class User(MethodView):
    @blueprint.response(200, Person)
    @blueprint.alt_response(403, description=NOT_ADMIN)
    @blueprint.alt_response(404, description="No user by this name.")
    def get(self, username: str) -> dict[str, Any]:
        """One user with their department and roles."""
        with database().reading() as session:
            get_admin(session, current_actor())
            return _person(people.user(session, username))

    @blueprint.arguments(PersonChanges)
    @blueprint.response(200, Person)
    @blueprint.alt_response(403, description="Not a process_admin, or an admin taking process_admin from themselves.")
    @blueprint.alt_response(404, description="No user by this name.")
    @blueprint.alt_response(422, description="A bad field; `errors` names it.")
    def patch(self, body: dict[str, Any], username: str) -> dict[str, Any]:
        """Change a user's display name, e-mail, department or roles (the fields sent), audited field by field."""
        with database().transaction() as session:
            users.require_admin(session, current_actor(), "edit users")
            now = people.user(session, username)
            fields = {"display_name": now.display_name, "email": now.email, "department": now.department_code,
                      "roles": now.roles, **body}
            users.update_user(session, actor=current_actor(), username=username, **fields)
            changed = _person(people.user(session, username))
        return changed


@blueprint.route("/<username>/deactivate", methods=["POST"], parameters=[_username()])
@blueprint.response(200, Deactivated)
@blueprint.alt_response(403, description="Not a process_admin, or an admin deactivating themselves.")
@blueprint.alt_response(404, description="No user by this name.")
@blueprint.alt_response(409, description="The user is deactivated already.")
def deactivate(username: str) -> dict[str, Any]:
    """Deactivate a user: their sessions and tokens end and their open tasks go back to their role."""
    with database().transaction() as session:
        released = users.deactivate_user(session, actor=current_actor(), username=username)
        done = {"user": _person(people.user(session, username)), "tasks_returned": [t.id for t in released]}
    return done


@blueprint.route("/<username>/reactivate", methods=["POST"], parameters=[_username()])
@blueprint.response(200, Person)
@blueprint.alt_response(403, description=NOT_ADMIN)
@blueprint.alt_response(404, description="No user by this name.")
@blueprint.alt_response(409, description="The user is active already.")
def reactivate(username: str) -> dict[str, Any]:
    """Let a deactivated user sign in and act again."""
    with database().transaction() as session:
        users.reactivate_user(session, actor=current_actor(), username=username)
        done = _person(people.user(session, username))
    return done


@blueprint.route("/<username>/password-reset", methods=["POST"], parameters=[_username()])
@blueprint.arguments(PasswordReset)
@blueprint.response(200, TemporaryPassword)
@blueprint.alt_response(403, description=NOT_ADMIN)
@blueprint.alt_response(404, description="No user by this name.")
@blueprint.alt_response(422, description="The password given is too short or too long.")
def reset_password(body: dict[str, Any], username: str) -> Any:
    """A temporary password (given or made here), shown once; the user's sessions and tokens end."""
    with database().transaction() as session:
        password = users.reset_password_as_admin(session, actor=current_actor(), username=username,
                                                 password=body["password"])
    return {"temporary_password": password}, SHOWN_ONCE


@blueprint.route("/import", methods=["POST"])
@blueprint.arguments(ImportRequest)
@blueprint.response(200, ImportResult)
@blueprint.alt_response(403, description=NOT_ADMIN)
@blueprint.alt_response(422, description="A row is bad: `problems` names each at its row and column; nothing written.")
def import_users(body: dict[str, Any]) -> Any:
    """Create the users of the rows, all or none, each with a temporary password; or, as a dry run, only check them."""
    rows = [{user_rows.ROW_NUMBER: number, **row} for number, row in enumerate(body["rows"], start=1)]
    if body["dry_run"]:
        with database().reading() as session:
            users.require_admin(session, current_actor(), "import users")
            problems = user_rows.preview_import(session, rows)
        return _rows_refused(users.RowsRefused(problems)) if problems else \
            {"problems": [], "written": 0, "temporary_passwords": {}}
    try:
        with database().transaction() as session:
            result = users.import_users(session, rows=rows, actor=current_actor(), strict=True)
    except users.RowsRefused as exc:
        return _rows_refused(exc)
    return {"problems": [], "written": len(result["created"]), "temporary_passwords": result["passwords"]}, SHOWN_ONCE


@blueprint.route("/departments", endpoint="departments")
class Departments(MethodView):
    @blueprint.response(200, Department(many=True))
    @blueprint.alt_response(403, description=NOT_ADMIN)
    def get(self) -> list[dict[str, Any]]:
        """Every department by code, with how many active users belong to it."""
        with database().reading() as session:
            get_admin(session, current_actor())
            return [vars(d) for d in people.departments(session)]

    @blueprint.arguments(NewDepartment)
    @blueprint.response(201, Department)
    @blueprint.alt_response(403, description=NOT_ADMIN)
    @blueprint.alt_response(409, description="A department has this code already.")
    @blueprint.alt_response(422, description="A bad code or name; `errors` names it.")
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a department; its code stays, its names may change."""
        with database().transaction() as session:
            created = departments.create_department(session, actor=current_actor(), **body)
            department = _department(session, created.code)
        return department


@blueprint.route("/departments/<department_code>", methods=["PATCH"])
@blueprint.arguments(DepartmentNames)
@blueprint.response(200, Department)
@blueprint.alt_response(403, description=NOT_ADMIN)
@blueprint.alt_response(404, description="No department by this code.")
@blueprint.alt_response(422, description="A bad name; `errors` names it.")
def rename_department(body: dict[str, str], department_code: str) -> dict[str, Any]:
    """Rename a department in Chinese, English or both (the names sent); its code stays."""
    with database().transaction() as session:
        users.require_admin(session, current_actor(), "rename departments")
        names = {**{k: v for k, v in _department(session, department_code).items() if k.startswith("name_")}, **body}
        departments.rename_department(session, actor=current_actor(), code=department_code, **names)
        department = _department(session, department_code)
    return department


@blueprint.route("/roles")
@blueprint.response(200, RoleHeld(many=True))
@blueprint.alt_response(403, description=NOT_ADMIN)
def roles() -> list[dict[str, Any]]:
    """The guideline's roles, each with how many active users hold it."""
    with database().reading() as session:
        get_admin(session, current_actor())
        holders = people.role_holders(session)
    return [{"id": role, "name_zh": zh, "name_en": en, "holders": holders.get(role, 0)}
            for role, (zh, en) in ROLES.items()]


def _person(user: people.UserSummary) -> dict[str, Any]:
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "department": user.department_code, "roles": list(user.roles), "active": user.active,
            "must_change_password": user.must_change_password}


def _department(session: Any, code: str) -> dict[str, Any]:
    found = next((d for d in people.departments(session) if d.code == code), None)
    if found is None:
        raise NotFound(f"unknown department: {code!r}")
    return vars(found)


def _rows_refused(exc: users.RowsRefused) -> Any:
    """The 422 naming every bad row; a Response of its own, since the 200 schema would drop the error."""
    answer, code = error_body(422, str(exc), exc.errors)
    problems = [{"row": p.row, "column": p.column, "code": p.code, "value": p.value, "message": p.message}
                for p in exc.problems]
    return make_response(jsonify({**answer, "problems": problems, "written": 0}), code)
