"""Users, roles and departments: the guideline's roles are seeded; bad references are refused."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine import people
from engine.errors import CarbonFlowError, InvalidFormData, NotFound, NotPermitted
from engine.models import AuditEvent, ProcessInstance, Role, User
from engine.read import access, audit_chain, queries
from engine.services import instances, messages, tasks, users
from tests import factories


def test_the_guideline_roles_are_seeded_with_their_ids(db):
    with db.reading() as session:
        assert set(session.scalars(select(Role.id))) == {
            "top_management", "carbon_body", "department_head", "carbon_staff",
            "internal_auditor", "document_controller", "process_admin", "auditor"}


def test_seeding_roles_twice_changes_nothing(db):
    with db.transaction() as session:
        users.seed_roles(session)
    with db.reading() as session:
        assert len(session.scalars(select(Role.id)).all()) == 8


def test_an_actor_carries_roles_and_department(db):
    with db.reading() as session:
        actor = people.get_actor(session, "gm")
    assert actor.role_ids == ("carbon_body", "top_management") and actor.department_code == "executive"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"username": "gm"}, CarbonFlowError, "already exists"),
    ({"roles": ["wizard"]}, NotFound, "unknown role"),
    ({"department": "mars"}, NotFound, "unknown department"),
])
def test_creating_a_user_refuses_bad_references(db, kwargs, error, message):
    fields = {"username": "new", "display_name": "New", "roles": ["carbon_staff"], "department": "production",
              **kwargs}
    with pytest.raises(error, match=message), db.transaction() as session:
        users.create_user(session, **fields)


def test_a_deactivated_user_may_not_act(db):
    with db.transaction() as session:
        session.scalar(select(User).where(User.username == "staff_prod")).active = False
    with db.reading() as session, pytest.raises(NotPermitted, match="deactivated"):
        people.get_actor(session, "staff_prod")


def test_passwords_are_stored_as_argon2_hashes(db):
    with db.transaction() as session:
        user = users.create_user(session, username="new", display_name="New", roles=["carbon_staff"],
                                 password="s3cret-enough")
        assert user.password_hash.startswith("$argon2")
        assert users.verify_password(user, "s3cret-enough") and not users.verify_password(user, "guess")


def test_an_import_audits_each_user_created_with_its_roles_and_who_imported_it(db):
    rows = [{"username": "mallory", "roles": "process_admin", "department": "production"},
            {"username": "ning", "roles": "carbon_staff; department_head"}]
    with db.transaction() as session:
        users.import_users(session, rows=rows, actor="admin")
    with db.reading() as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "user_created")
                                      .order_by(AuditEvent.seq)))
        assert [(e.actor, e.data["username"], e.data["roles"]) for e in events[-2:]] == [
            ("admin", "mallory", ["process_admin"]), ("admin", "ning", ["carbon_staff", "department_head"])]
        assert "password" not in events[-1].data and audit_chain.verify_chain(session).ok


def test_a_refused_import_leaves_neither_users_nor_their_events(db):
    with db.reading() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    rows = [{"username": "good", "roles": "carbon_staff"}, {"username": "bad", "roles": "wizard"}]
    with pytest.raises(InvalidFormData, match="unknown role"), db.transaction() as session:
        users.import_users(session, rows=rows, actor="admin")
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert session.scalar(select(User).where(User.username == "good")) is None


def test_the_auditor_role_cannot_be_combined_with_a_role_that_writes(db):
    with pytest.raises(InvalidFormData, match="auditor is read-only"), db.transaction() as session:
        users.create_user(session, username="both", display_name="Both", roles=["auditor", "carbon_staff"])


def test_an_auditor_reads_any_instance_and_its_tasks_but_changes_nothing(db):
    instance_id = factories.start_corrective_action(db)
    task = factories.open_task(db, instance_id, "evaluate_consequences")
    with db.reading() as session:
        instance, _files = access.readable_instance(session, instance_id, "verifier")
        assert instance.id == instance_id and access.readable_task(session, task.id, "verifier").id == task.id
    refusals = [
        lambda s: tasks.claim(s, task_id=task.id, actor="verifier"),
        lambda s: tasks.complete(s, task_id=task.id, actor="verifier", data=factories.FORM_DATA[task.name]),
        lambda s: tasks.save_draft(s, task_id=task.id, actor="verifier", data={}),
        lambda s: tasks.delegate(s, task_id=task.id, actor="body", to_user="verifier"),
        lambda s: instances.start(s, process_id="corrective_action", actor="verifier",
                                  data=factories.raise_data()),
        lambda s: messages.send_message(s, name="nonconformity_raised", actor="verifier",
                                        payload=factories.raise_data()),
    ]
    with db.reading() as session:
        events_before = len(queries.audit_events(session, instance_id=instance_id))
    for attempt in refusals:
        with pytest.raises(NotPermitted, match="read-only"), db.transaction() as session:
            attempt(session)
    with db.reading() as session:
        assert len(queries.audit_events(session, instance_id=instance_id)) == events_before
        assert session.scalar(select(func.count(ProcessInstance.id))) == 1


def test_an_unknown_name_costs_the_same_password_hash_as_a_known_one(monkeypatch):
    """Sign-in refusals take as long for a name that does not exist: their timing tells no names."""
    from engine.models import User
    from engine.services import credentials
    from engine.services import users as user_service

    checked = []
    real = credentials._hasher

    class Counting:
        def verify(self, stored, given):
            checked.append(stored)
            return real.verify(stored, given)

    monkeypatch.setattr(credentials, "_hasher", Counting())
    assert user_service.verify_password(None, "guess") is False
    assert user_service.verify_password(User(username="x", display_name="X", password_hash=None), "guess") is False
    assert len(checked) == 2 and all(stored.startswith("$argon2") for stored in checked)
