"""Who may change what from the command line: --as names an active user holding the role the change needs."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from engine.config import PROJECT_ROOT
from engine.models import AuditEvent, Job, ProcessDefinition, ProcessInstance, User
from engine.services import users
from tests.factories import open_task, raise_data, start_corrective_action

PROCESSES = PROJECT_ROOT / "processes"


@pytest.fixture
def cli(db, monkeypatch):
    """Run `carbonflow ARGS` against the seeded test database (PostgreSQL in CI's second run); (code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))

    def run(*args: str):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def _changed_process(tmp_path):
    """processes/corrective_action.bpmn with a comment added: valid, and not the deployed version."""
    path = tmp_path / "corrective_action.bpmn"
    path.write_bytes((PROCESSES / "corrective_action.bpmn").read_bytes() + b"\n<!-- changed -->\n")
    return path


def _written(db):
    """What a command may have changed: events other than refusals, versions, users, jobs, instances."""
    with db.reading() as session:
        return tuple(session.scalar(select(func.count()).select_from(model).where(*where)) for model, where in (
            (AuditEvent, [AuditEvent.action != "refused"]), (ProcessDefinition, []), (User, []), (Job, []),
            (ProcessInstance, [])))


def _versions(db, process_id):
    with db.reading() as session:
        return list(session.execute(select(ProcessDefinition.version, ProcessDefinition.deployed_by)
                                    .where(ProcessDefinition.process_id == process_id)
                                    .order_by(ProcessDefinition.version)).tuples())


def test_deploy_as_a_read_only_auditor_is_refused_naming_them_and_the_role(db, cli, tmp_path):
    before = _written(db)
    code, out, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "verifier", "--note", "mine now")
    assert code == 4 and out == ""
    assert err.strip() == "error: verifier may not administer processes (needs role process_admin)"
    assert _written(db) == before and _versions(db, "corrective_action") == [(1, "admin")]
    with db.reading() as session:
        refusal = session.scalars(select(AuditEvent).where(AuditEvent.action == "refused")).one()
    assert refusal.actor == "verifier" and refusal.data["command"].endswith(" deploy")


def test_deploy_as_a_name_nobody_has_is_refused_and_recorded_nowhere(db, cli, tmp_path):
    before = _written(db)
    code, _, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "mallory", "--note", "mine now")
    assert code == 3 and err.strip() == "error: unknown user: 'mallory'"
    assert _written(db) == before and _versions(db, "corrective_action") == [(1, "admin")]


def test_deploy_as_a_deactivated_process_admin_is_refused(db, cli, tmp_path):
    with db.transaction() as session:
        users.create_user(session, username="old.admin", display_name="Old", roles=["process_admin"])
        users.deactivate_user(session, actor="admin", username="old.admin")
    code, _, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "old.admin", "--note", "back again")
    assert code == 4 and "'old.admin' is deactivated" in err
    assert _versions(db, "corrective_action") == [(1, "admin")]


def test_deploy_as_a_process_admin_is_recorded_as_theirs_with_the_note(db, cli, tmp_path):
    code, out, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "admin", "--note", "a comment added")
    assert code == 0, err
    assert out.strip() == "corrective_action v2: deployed"
    assert _versions(db, "corrective_action") == [(1, "admin"), (2, "admin")]
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "deploy")
                                .order_by(AuditEvent.seq.desc()).limit(1)).one()
    assert event.actor == "admin" and event.data["note"] == "a comment added"


def test_deploy_needs_a_change_note(db, cli, tmp_path):
    code, _, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "admin")
    assert code == 2 and "--note" in err
    code, _, err = cli("deploy", str(_changed_process(tmp_path)), "--as", "admin", "--note", "  ")
    assert code == 6 and "change note" in err


# Every command that changes something, with what it needs besides --as.
COMMANDS = {
    "deploy": lambda c: ["deploy", c["bpmn"], "--note", "n"],
    "init": lambda c: ["init"],
    "schedule": lambda c: ["schedule", "internal_audit", "--next", "2099-04-15T09:00:00+08:00"],
    "suspend": lambda c: ["suspend", c["instance"]],
    "resume": lambda c: ["resume", c["instance"]],
    "terminate": lambda c: ["terminate", c["instance"]],
    "retry": lambda c: ["retry", c["instance"]],
    "job --retry": lambda c: ["job", "1", "--retry"],
    "job --cancel": lambda c: ["job", "1", "--cancel", "no use"],
    "import-users": lambda c: ["import-users", c["csv"]],
    "import-users --queue": lambda c: ["import-users", c["csv"], "--queue"],
    "add-user": lambda c: ["add-user", "new.one", "--name", "New", "--role", "carbon_staff"],
    "demo-users": lambda c: ["demo-users"],
    "demo-data": lambda c: ["demo-data"],
    "fire-timers ahead": lambda c: ["fire-timers", "--now", "2099-01-01T00:00:00+08:00"],
    "start": lambda c: ["start", "corrective_action", "--data", json.dumps(raise_data())],
    "send-message": lambda c: ["send-message", "regulation_changed", "--data", "{}"],
    "send-message --queue": lambda c: ["send-message", "regulation_changed", "--queue", "--data", "{}"],
    "claim": lambda c: ["claim", c["task"]],
    "unclaim": lambda c: ["unclaim", c["task"]],
    "delegate": lambda c: ["delegate", c["task"], "--to", "body2"],
    "complete": lambda c: ["complete", c["task"], "--data", json.dumps({"consequences": "x",
                                                                         "immediate_handling": "y"})],
}
ADMINISTRATIVE = {"deploy", "init", "schedule", "suspend", "resume", "terminate", "retry", "job --retry",
                  "job --cancel", "import-users", "import-users --queue", "add-user", "demo-users", "demo-data",
                  "fire-timers ahead"}


@pytest.fixture
def context(db, tmp_path):
    instance_id = start_corrective_action(db)
    people = tmp_path / "people.csv"
    people.write_text("username,display_name,roles,department\nnew.two,New,carbon_staff,quality\n", encoding="utf-8")
    return {"bpmn": str(_changed_process(tmp_path)), "csv": str(people), "instance": str(instance_id),
            "task": str(open_task(db, instance_id, "evaluate_consequences").id)}


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_that_changes_something_refuses_a_read_only_auditor(db, cli, context, name):
    before = _written(db)
    code, _, err = cli(*COMMANDS[name](context), "--as", "verifier")
    assert code == 4, err
    assert len(err.splitlines()) == 1 and "verifier" in err
    assert ("process_admin" if name in ADMINISTRATIVE else "verifier") in err
    assert _written(db) == before


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_that_changes_something_refuses_a_name_nobody_has(db, cli, context, name):
    before = _written(db)
    code, _, err = cli(*COMMANDS[name](context), "--as", "ghost")
    assert (code, err) == (3, "error: unknown user: 'ghost'\n")
    assert _written(db) == before


@pytest.mark.parametrize("name", sorted(ADMINISTRATIVE - {"init"}))
def test_an_administrative_command_refuses_someone_who_may_write_but_not_administer(db, cli, context, name):
    before = _written(db)
    code, _, err = cli(*COMMANDS[name](context), "--as", "gm")
    assert code == 4 and "gm may not" in err and "process_admin" in err
    assert _written(db) == before


def test_init_on_a_database_with_a_process_admin_needs_no_one_while_processes_are_unchanged(db, cli):
    before = _written(db)
    code, out, err = cli("init")
    assert code == 0, err
    assert "corrective_action v1: unchanged" in out
    assert _written(db) == before


def test_looking_ahead_is_a_process_admins_decision_recorded_as_theirs(db, cli):
    code, _, err = cli("fire-timers", "--now", "2099-01-01T00:00:00+08:00")
    assert code == 4
    assert err.strip() == ("error: --now is later than now: only a process_admin may fire timers before they are due "
                           "(name one with --as USER)")
    code, _, err = cli("fire-timers", "--now", "2099-01-01T00:00:00+08:00", "--as", "admin", "--json")
    assert code == 0, err
    with db.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "look_ahead")).one()
    assert event.actor == "admin" and event.data["now"].startswith("2099-01-01T00:00:00")
    assert cli("fire-timers", "--json")[0] == 0  # what is due now: the system's own sweep, for cron
