"""`carbonflow complete` of top management's decision: signed with the password, from stdin or asked for."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli import tasks as task_commands
from cli.main import main
from engine.models import AuditEvent, HumanTask
from tests.factories import PASSWORD, open_task, start_corrective_action, walk_to_approval
from tests.formdata import sample_form


@pytest.fixture
def cli(db, monkeypatch):
    """Run `carbonflow ARGS` against the seeded test database; returns (code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", db.engine.url.render_as_string(hide_password=False))

    def run(*args: str, stdin: str | None = None):
        result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def _decide(cli, task, *extra: str, stdin: str | None = None):
    data = json.dumps({**sample_form(task.form_key), "approved": True})
    return cli("complete", str(task.id), "--as", "gm", "--data", data, *extra, stdin=stdin)


def _state(db, task):
    with db.reading() as session:
        return (session.get(HumanTask, task.id).status,
                session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "signature")))


def test_a_decision_without_the_password_is_refused_with_exit_code_4(db, cli):
    task = walk_to_approval(db)
    code, _, err = _decide(cli, task)
    assert code == 4
    assert f"task {task.id} (approve_baseline) is a decision that must be signed" in err
    assert "--password-stdin" in err
    assert _state(db, task) == ("ready", 0)


def test_a_wrong_password_from_stdin_signs_nothing(db, cli):
    task = walk_to_approval(db)
    code, _, err = _decide(cli, task, "--password-stdin", stdin="not it\n")
    assert code == 4 and "password does not match" in err
    assert _state(db, task) == ("ready", 0)


def test_the_password_from_stdin_signs_and_completes_the_decision(db, cli):
    task = walk_to_approval(db)
    code, out, err = _decide(cli, task, "--password-stdin", "--json", stdin=PASSWORD + "\n")
    assert code == 0, err
    assert json.loads(out)["status"] == "completed"
    assert _state(db, task) == ("completed", 1)


def test_at_a_terminal_the_password_is_asked_for_without_echo(db, cli, monkeypatch):
    monkeypatch.setattr(task_commands, "_at_a_terminal", lambda: True)
    task = walk_to_approval(db)
    code, out, err = _decide(cli, task, stdin=PASSWORD + "\n")
    assert code == 0, err
    assert "Password (signs the decision)" in err and PASSWORD not in out + err
    assert _state(db, task) == ("completed", 1)


def test_a_task_that_needs_no_signature_completes_without_a_password(db, cli):
    task = open_task(db, start_corrective_action(db), "evaluate_consequences")
    data = json.dumps({"consequences": "Q3 data uncertain.", "immediate_handling": "Flagged."})
    code, _, err = cli("complete", str(task.id), "--as", "body", "--data", data, "--password-stdin", stdin="")
    assert code == 0, err
