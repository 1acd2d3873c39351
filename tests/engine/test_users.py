"""Users, roles and departments: the guideline's roles are seeded; bad references are refused."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import CarbonFlowError, NotFound, NotPermitted
from engine.models import Role, User
from engine.services import users


def test_the_guideline_roles_are_seeded_with_their_ids(db):
    with db.reading() as session:
        assert set(session.scalars(select(Role.id))) == {
            "top_management", "carbon_body", "department_head", "carbon_staff",
            "internal_auditor", "document_controller", "process_admin"}


def test_seeding_roles_twice_changes_nothing(db):
    with db.transaction() as session:
        users.seed_roles(session)
    with db.reading() as session:
        assert len(session.scalars(select(Role.id)).all()) == 7


def test_an_actor_carries_roles_and_department(db):
    with db.reading() as session:
        actor = users.get_actor(session, "gm")
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
        users.get_actor(session, "staff_prod")


def test_passwords_are_stored_as_argon2_hashes(db):
    with db.transaction() as session:
        user = users.create_user(session, username="new", display_name="New", roles=["carbon_staff"],
                                 password="s3cret-enough")
        assert user.password_hash.startswith("$argon2")
        assert users.verify_password(user, "s3cret-enough") and not users.verify_password(user, "guess")
