"""A process admin manages people: edits, deactivation handing tasks back, password resets, imports, departments."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from engine import people
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.models import AuditEvent, Department, HumanTask, User
from engine.read import people as people_read
from engine.services import departments, tasks, user_rows, users
from tests.factories import FORM_DATA, PASSWORD, USERS, complete, open_task, start_corrective_action


def _user(db, username: str) -> User:
    with db.reading() as session:
        return session.scalars(select(User).where(User.username == username)).unique().one()


def _written(db) -> tuple[int, int, int]:
    """Users, audit events and departments: what any of these use cases would add to."""
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(User)),
                session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(Department)))


def _claimed_analysis(db, key: str = "NC-1") -> int:
    """An analyse_cause task claimed by head_prod."""
    instance_id = start_corrective_action(db, business_key=key)
    complete(db, instance_id, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"])
    task_id = open_task(db, instance_id, "analyse_cause").id
    with db.transaction() as session:
        tasks.claim(session, task_id=task_id, actor="head_prod")
    return task_id


def _last_event(db, action: str) -> AuditEvent:
    with db.reading() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.seq.desc())).first()


# Editing


def test_an_admin_changes_name_email_department_and_roles_and_the_trail_names_each_change(db):
    with db.transaction() as session:
        users.update_user(session, actor="admin", username="staff_prod", display_name="Zhao Min",
                          email="zhao@plant.example", department="energy", roles=["carbon_staff", "department_head"])
    with db.reading() as session:
        actor = people.get_actor(session, "staff_prod")
        assert actor.role_ids == ("carbon_staff", "department_head") and actor.department_code == "energy"
    assert _user(db, "staff_prod").email == "zhao@plant.example"
    event = _last_event(db, "user_updated")
    assert event.actor == "admin" and event.data["username"] == "staff_prod"
    assert event.data["changes"]["department"] == {"from": "production", "to": "energy"}
    assert event.data["changes"]["roles"] == {"from": ["carbon_staff"], "to": ["carbon_staff", "department_head"]}


@pytest.mark.parametrize("username, roles", [("verifier", ["auditor", "carbon_staff"]),
                                             ("staff_prod", ["carbon_staff", "auditor"])])
def test_the_read_only_auditor_role_cannot_be_given_beside_a_writing_role(db, username, roles):
    before = _written(db)
    with pytest.raises(InvalidFormData, match="auditor is read-only"), db.transaction() as session:
        users.update_user(session, actor="admin", username=username, display_name="X", roles=roles)
    assert _written(db) == before
    assert _user(db, username).role_ids == sorted(USERS[username][0])


def test_an_edit_naming_an_unknown_department_or_a_bad_email_is_refused_field_by_field(db):
    with pytest.raises(InvalidFormData) as refused, db.transaction() as session:
        users.update_user(session, actor="admin", username="staff_prod", display_name="", email="not-an-address",
                          department="mars", roles=[])
    assert set(refused.value.errors) == {"display_name", "email", "department", "roles"}


def test_an_admin_may_not_take_the_admin_role_from_themselves(db):
    with pytest.raises(NotPermitted, match="themselves"), db.transaction() as session:
        users.update_user(session, actor="admin", username="admin", display_name="Admin", roles=["carbon_staff"])
    assert _user(db, "admin").role_ids == ["process_admin"]


# Deactivating


def test_deactivating_a_user_gives_their_claimed_tasks_back_to_the_role_and_ends_their_sign_ins(db):
    task_id = _claimed_analysis(db)
    with db.reading() as session:
        assert [t.task_id for t in people_read.claimed_task_list(session, "head_prod")] == [task_id]
    epoch = _user(db, "head_prod").credentials_epoch
    with db.transaction() as session:
        released = users.deactivate_user(session, actor="admin", username="head_prod")
    assert [t.id for t in released] == [task_id]
    with db.reading() as session:
        task = session.get(HumanTask, task_id)
        assert (task.status, task.assignee) == ("ready", None)
        with pytest.raises(NotPermitted, match="deactivated"):
            people.get_actor(session, "head_prod")
        unclaim = session.scalars(select(AuditEvent).where(AuditEvent.task_id == task_id,
                                                           AuditEvent.action == "unclaim")).one()
    assert unclaim.actor == "admin" and unclaim.data == {"previous_assignee": "head_prod", "reason": "user deactivated"}
    assert _user(db, "head_prod").credentials_epoch == epoch + 1
    assert _last_event(db, "user_deactivated").data == {"username": "head_prod", "tasks_returned": [task_id]}


def test_a_reactivated_user_may_act_again_and_deactivating_twice_is_a_conflict(db):
    with db.transaction() as session:
        users.deactivate_user(session, actor="admin", username="staff_prod")
    with pytest.raises(Conflict, match="deactivated already"), db.transaction() as session:
        users.deactivate_user(session, actor="admin", username="staff_prod")
    with db.transaction() as session:
        users.reactivate_user(session, actor="admin", username="staff_prod")
    with db.reading() as session:
        assert people.get_actor(session, "staff_prod").role_ids == ("carbon_staff",)
    with pytest.raises(Conflict, match="active already"), db.transaction() as session:
        users.reactivate_user(session, actor="admin", username="staff_prod")


def test_an_admin_may_not_deactivate_themselves(db):
    with pytest.raises(NotPermitted, match="themselves"), db.transaction() as session:
        users.deactivate_user(session, actor="admin", username="admin")
    assert _user(db, "admin").active


# Passwords


def test_a_reset_ends_sessions_and_tokens_and_the_user_must_change_the_password(db):
    before = _user(db, "staff_prod").credentials_epoch
    with db.transaction() as session:
        temporary = users.reset_password_as_admin(session, actor="admin", username="staff_prod")
    user = _user(db, "staff_prod")
    assert user.credentials_epoch == before + 1 and user.must_change_password
    assert users.verify_password(user, temporary) and not users.verify_password(user, PASSWORD)
    assert len(temporary) >= users.PASSWORD_MIN_LENGTH
    event = _last_event(db, "password_reset")
    assert event.actor == "admin" and temporary not in str(event.data) and event.data["temporary"] is True
    with db.transaction() as session:
        epoch = users.change_password(session, username="staff_prod", current=temporary, new="my own passphrase")
    user = _user(db, "staff_prod")
    assert epoch == user.credentials_epoch == before + 2 and not user.must_change_password
    assert _last_event(db, "password_changed").actor == "staff_prod"


def test_an_admin_sets_the_temporary_password_only_if_it_is_long_enough(db):
    with pytest.raises(InvalidFormData, match="at least 10 characters"), db.transaction() as session:
        users.reset_password_as_admin(session, actor="admin", username="staff_prod", password="short")
    with db.transaction() as session:
        assert users.reset_password_as_admin(session, actor="admin", username="staff_prod",
                                             password="given by the admin") == "given by the admin"


@pytest.mark.parametrize("current, new, error, message", [
    ("a wrong guess", "a long enough one", NotPermitted, "current password is wrong"),
    (PASSWORD, "too short", InvalidFormData, "at least 10 characters"),
    (PASSWORD, PASSWORD, InvalidFormData, "other than the current one"),
])
def test_changing_ones_password_needs_the_current_one_and_a_new_long_enough_one(db, current, new, error, message):
    users_before, events_before, departments_before = _written(db)
    with pytest.raises(error, match=message), db.transaction() as session:
        users.change_password(session, username="staff_prod", current=current, new=new)
    refused = 1 if error is NotPermitted else 0  # a wrong current password is counted and audited
    assert _written(db) == (users_before, events_before + refused, departments_before)
    assert _user(db, "staff_prod").credentials_epoch == 0


# Importing


GOOD_ROWS = [
    {"username": "liu.new", "display_name": "Liu", "email": "liu@plant.example", "department": "energy",
     "roles": "carbon_staff"},
    {"username": "wu.new", "display_name": "Wu", "email": "", "department": "", "roles": "department_head; carbon_staff"},
]


def test_the_import_preview_names_every_bad_row_at_its_column_and_writes_nothing(db):
    rows = [*GOOD_ROWS,
            {"username": "body", "display_name": "Body again", "roles": "carbon_body"},
            {"username": "liu.new", "display_name": "Liu twice", "roles": "carbon_staff"},
            {"username": "no.name", "display_name": "", "roles": "carbon_staff"},
            {"username": "bad.mail", "display_name": "Bad mail", "email": "bad-mail", "roles": "carbon_staff"},
            {"username": "mars", "display_name": "Mars", "department": "mars", "roles": "carbon_staff"},
            {"username": "wizard", "display_name": "Wizard", "roles": "wizard"},
            {"username": "both", "display_name": "Both", "roles": "auditor, carbon_staff"}]
    before = _written(db)
    with db.reading() as session:
        problems = user_rows.preview_import(session, rows)
    assert [(p.row, p.column, p.code) for p in problems] == [
        (4, "username", "already_exists"), (5, "username", "duplicate_in_file"),
        (6, "display_name", "missing_display_name"), (7, "email", "bad_email"),
        (8, "department", "unknown_department"), (9, "roles", "unknown_role"),
        (10, "roles", "auditor_with_writing_role")]
    assert problems[1].message == "liu.new appears again (first on row 2)"
    with pytest.raises(users.RowsRefused) as refused, db.transaction() as session:
        users.import_users(session, rows=rows, actor="admin", strict=True)
    assert refused.value.problems == problems
    assert _written(db) == before


def test_a_good_import_creates_every_row_with_a_temporary_password_to_change(db):
    with db.transaction() as session:
        assert user_rows.preview_import(session, GOOD_ROWS) == []
        result = users.import_users(session, rows=GOOD_ROWS, actor="admin", strict=True)
    assert result["created"] == ["liu.new", "wu.new"] and set(result["passwords"]) == {"liu.new", "wu.new"}
    wu = _user(db, "wu.new")
    assert wu.role_ids == ["carbon_staff", "department_head"] and wu.email is None and wu.department_code is None
    assert wu.must_change_password and users.verify_password(wu, result["passwords"]["wu.new"])
    assert _last_event(db, "user_created").data["username"] == "wu.new"


def test_a_csv_and_an_xlsx_file_give_the_same_rows_numbered_as_the_spreadsheet_shows_them(db):
    header = ["username", "display_name", "email", "department", "roles"]
    lines = [header, ["liu.new", "刘工", "liu@plant.example", "energy", "carbon_staff"], [""] * 5,
             ["wu.new", "Wu", "", "", "department_head;carbon_staff"]]
    csv_bytes = "\ufeff".encode() + "\n".join(",".join(cells) for cells in lines).encode()
    book = Workbook()
    for cells in lines:
        book.active.append([c or None for c in cells])
    xlsx = io.BytesIO()
    book.save(xlsx)
    from_csv = user_rows.parse_file(csv_bytes, "people.csv")
    assert from_csv == user_rows.parse_file(xlsx.getvalue(), "people.XLSX")
    assert [(r["row"], r["username"], r["display_name"]) for r in from_csv] == [(2, "liu.new", "刘工"), (4, "wu.new", "Wu")]
    with pytest.raises(InvalidFormData, match="lacks the column"):
        user_rows.parse_file(b"username,roles\nx,carbon_staff\n", "people.csv")
    with pytest.raises(InvalidFormData, match="neither a .csv nor an .xlsx"):
        user_rows.parse_file(b"", "people.txt")
    with pytest.raises(InvalidFormData, match="not a readable .xlsx"):
        user_rows.parse_file(b"not a zip", "people.xlsx")


# Departments


def test_departments_are_created_and_renamed_with_their_code_kept_and_audited(db):
    with db.transaction() as session:
        departments.create_department(session, actor="admin", code="cement", name_zh="水泥厂", name_en="Cement")
        departments.rename_department(session, actor="admin", code="cement", name_zh="水泥分厂",
                                      name_en="Cement works")
    with db.reading() as session:
        found = {d.code: d for d in people_read.departments(session)}
    assert (found["cement"].name_en, found["cement"].members, found["production"].members) == ("Cement works", 0, 3)
    assert _last_event(db, "department_renamed").data["changes"]["name_en"] == {"from": "Cement", "to": "Cement works"}
    with pytest.raises(Conflict, match="exists already"), db.transaction() as session:
        departments.create_department(session, actor="admin", code="cement", name_zh="x", name_en="x")
    with pytest.raises(NotFound), db.transaction() as session:
        departments.rename_department(session, actor="admin", code="mars", name_zh="x", name_en="x")


def test_the_roles_are_counted_by_their_active_holders(db):
    with db.transaction() as session:
        users.deactivate_user(session, actor="admin", username="body2")
    with db.reading() as session:
        holders = people_read.role_holders(session)
    assert holders["carbon_body"] == 2 and holders["auditor"] == 1 and "nobody" not in holders


# Only process admins


ADMIN_ONLY = {
    "edit": lambda s, a: users.update_user(s, actor=a, username="staff_prod", display_name="X", roles=["carbon_staff"]),
    "create": lambda s, a: users.add_user(s, actor=a, username="new.one", display_name="New", roles=["carbon_staff"]),
    "deactivate": lambda s, a: users.deactivate_user(s, actor=a, username="staff_prod"),
    "reactivate": lambda s, a: users.reactivate_user(s, actor=a, username="staff_prod"),
    "reset": lambda s, a: users.reset_password_as_admin(s, actor=a, username="staff_prod"),
    "import": lambda s, a: users.import_users(s, rows=GOOD_ROWS, actor=a, strict=True),
    "new department": lambda s, a: departments.create_department(s, actor=a, code="x", name_zh="x", name_en="x"),
    "rename department": lambda s, a: departments.rename_department(s, actor=a, code="energy", name_zh="x",
                                                                    name_en="x"),
}


@pytest.mark.parametrize("use_case", ADMIN_ONLY, ids=str)
@pytest.mark.parametrize("actor", ["body", "verifier", "gm"])
def test_only_a_process_admin_manages_people_and_a_refusal_writes_nothing(db, use_case, actor):
    before = _written(db)
    with pytest.raises(NotPermitted, match="needs role process_admin"), db.transaction() as session:
        ADMIN_ONLY[use_case](session, actor)
    assert _written(db) == before
    assert _user(db, "staff_prod").credentials_epoch == 0 and _user(db, "staff_prod").active
