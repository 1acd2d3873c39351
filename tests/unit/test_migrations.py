"""The Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from engine.db import Database
from engine.models import Base
from engine.read import audit_chain
from engine.schema import is_modelled


def test_migrations_match_the_models(db: Database):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": is_modelled})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrading_seals_the_events_written_before_the_chain(tmp_path):
    from alembic import command
    from sqlalchemy import text

    from engine.schema import alembic_config, migrate
    from engine.services import audit

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0004")
    old = Database(url)
    with old.engine.begin() as connection:
        for n in range(3):
            connection.execute(text("INSERT INTO audit_events (at, actor, action, data) VALUES "
                                    f"('2026-0{n + 1}-01 08:00:00.000000', 'li', 'complete', '{{\"n\": {n}}}')"))
    old.dispose()
    migrate(url)
    upgraded = Database(url)
    with upgraded.transaction() as session:
        audit.record(session, action="after_upgrade", actor="li")
    with upgraded.reading() as session:
        result = audit_chain.verify_chain(session)
    upgraded.dispose()
    assert result.ok and result.events == 4 and result.head_seq == 4


def test_upgrading_marks_the_decisions_the_old_rule_had_signed(tmp_path):
    from alembic import command
    from sqlalchemy import create_engine, text

    from engine.schema import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0005")
    rows = {1: ("top_management", "policy_approval.approve"), 2: ("carbon_body", "policy_approval.approve"),
            3: ("top_management", "management_review.hold_review"), 4: ("top_management", "reduction_measure.decide")}
    old = create_engine(url)  # no foreign keys switched on: the tasks need no instance to test the back-fill
    with old.begin() as connection:
        for task_id, (role, form_key) in rows.items():
            connection.execute(text(
                "INSERT INTO human_tasks (id, instance_id, spiff_task_id, process_id, name, title, role, "
                "excluded_users, evidence_required, form_key, sort_due_at, priority, status, created_at, version) "
                "VALUES (:id, 1, :spiff, 'p', 'decide', 'Decide', :role, '[]', 0, :form_key, "
                "'9999-12-31 00:00:00.000000', 2, 'completed', '2026-01-01 08:00:00.000000', 1)"),
                {"id": task_id, "spiff": f"task-{task_id}", "role": role, "form_key": form_key})
        connection.execute(text(
            "INSERT INTO process_definitions (id, process_id, version, name, file_name, bpmn_source, content_hash, "
            "spec_json, deployed_by, deployed_at) VALUES (1, 'p', 1, 'P', 'p.bpmn', '', 'h', '{}', 'system', "
            "'2026-01-01 08:00:00.000000')"))
    old.dispose()
    migrate(url)
    upgraded = Database(url)
    with upgraded.reading() as session:
        signatures = dict(session.execute(text("SELECT id, signature FROM human_tasks")).all())
        declared = session.execute(text("SELECT declares_signatures FROM process_definitions")).scalars().all()
    upgraded.dispose()
    assert signatures == {1: "approval", 2: None, 3: None, 4: "approval"}
    assert declared == [False]  # the versions deployed before keep the old rule for the tasks still to come


def test_upgrading_titles_the_instances_that_exist_from_their_data(tmp_path):
    import json

    from alembic import command
    from sqlalchemy import create_engine, text

    from engine.schema import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0006")
    rows = {1: ("corrective_action", {"title": "Kiln 2 meter", "source": "internal_audit"}),
            2: ("emissions_accounting", {"reporting_year": 2025}),
            3: ("baseline_adjustment", {"description": "x" * 200}),
            4: ("internal_audit", {"scheduled_for": "2027-03-01T09:00:00+08:00"}),  # not named yet
            5: ("someone_elses_process", {"title": "not ours"})}
    old = create_engine(url)
    with old.begin() as connection:
        connection.execute(text(
            "INSERT INTO process_definitions (id, process_id, version, name, file_name, bpmn_source, content_hash, "
            "spec_json, deployed_by, deployed_at) VALUES (1, 'p', 1, 'P', 'p.bpmn', '', 'h', '{}', 'system', "
            "'2026-01-01 08:00:00.000000')"))
        for instance_id, (process_id, data) in rows.items():
            connection.execute(text(
                "INSERT INTO process_instances (id, definition_id, process_id, status, state_json, data, started_by, "
                "started_at, updated_at, version) VALUES (:id, 1, :process_id, 'running', '{}', :data, 'system', "
                "'2026-01-01 08:00:00.000000', '2026-01-01 08:00:00.000000', 1)"),
                {"id": instance_id, "process_id": process_id, "data": json.dumps(data)})
    old.dispose()
    migrate(url)
    upgraded = Database(url)
    with upgraded.reading() as session:
        titles = dict(session.execute(text("SELECT id, title FROM process_instances")).all())
    upgraded.dispose()
    assert titles == {1: "Kiln 2 meter", 2: "2025 年度碳排放核算 Emissions accounting", 3: "x" * 80, 4: None, 5: None}


def test_upgrading_and_downgrading_keep_every_user_s_roles(tmp_path):
    """A table copied by a batch migration on SQLite must not take the rows that refer to it along (ON DELETE CASCADE)."""
    from alembic import command
    from sqlalchemy import text

    from engine.schema import alembic_config, migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0009")
    old = Database(url)  # foreign keys on, as the app runs
    with old.engine.begin() as connection:
        connection.execute(text("INSERT INTO roles (id, name_zh, name_en) VALUES ('process_admin', '流程管理员', 'A')"))
        connection.execute(text("INSERT INTO users (id, username, display_name, active) VALUES (1, 'admin', 'A', 1)"))
        connection.execute(text("INSERT INTO memberships (user_id, role_id) VALUES (1, 'process_admin')"))
    old.dispose()
    memberships = "SELECT user_id, role_id FROM memberships"
    migrate(url)
    with Database(url).engine.connect() as connection:
        assert connection.execute(text(memberships)).all() == [(1, "process_admin")]
    command.downgrade(alembic_config(url), "0008")
    with Database(url).engine.connect() as connection:
        assert connection.execute(text(memberships)).all() == [(1, "process_admin")]
