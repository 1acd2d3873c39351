"""A new database sets itself up without --as until it has a process_admin; from then on one is named."""
from __future__ import annotations

import json
import shutil

from engine.config import PROJECT_ROOT
from tests.cli.test_cli import cli  # noqa: F401 - the fixture: a fresh SQLite database


def _json(cli, *args):  # noqa: F811
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _events(cli, action):  # noqa: F811
    return [e for e in _json(cli, "audit") if e["action"] == action]


def test_a_new_database_deploys_its_processes_as_the_installation(cli):  # noqa: F811
    assert cli("init")[0] == 0
    deploys = _events(cli, "deploy")
    assert deploys and {e["actor"] for e in deploys} == {"system"}


def test_once_a_process_admin_exists_only_one_deploys_what_changed(cli, tmp_path, monkeypatch):  # noqa: F811
    assert cli("init")[0] == 0
    assert cli("demo-users")[0] == 0
    folder = tmp_path / "processes"
    shutil.copytree(PROJECT_ROOT / "processes", folder)
    changed = folder / "corrective_action.bpmn"
    changed.write_bytes(changed.read_bytes() + b"\n<!-- changed -->\n")
    monkeypatch.setenv("CARBONFLOW_PROCESSES", str(folder))
    before = len(_events(cli, "deploy"))

    code, out, err = cli("init")
    assert code == 4 and out == ""
    assert err.strip() == ("error: corrective_action.bpmn: not the deployed version, and a process_admin exists: "
                           "only a process_admin may deploy processes now (name one with --as USER)")
    code, _, err = cli("init", "--as", "he.verifier")
    assert code == 4 and "he.verifier may not deploy processes (needs role process_admin)" in err
    assert len(_events(cli, "deploy")) == before

    done = {p["id"]: p for p in _json(cli, "init", "--as", "admin")["processes"]}
    assert (done["corrective_action"]["version"], done["corrective_action"]["created"]) == (2, True)
    assert [e["actor"] for e in _events(cli, "deploy")[before:]] == ["admin"]


def test_the_first_process_admin_is_added_without_as_and_only_while_there_is_none(cli):  # noqa: F811
    assert cli("init")[0] == 0
    code, _, err = cli("add-user", "first.staff", "--name", "First", "--role", "carbon_staff")
    assert code == 4 and "give them the role process_admin" in err
    first = _json(cli, "add-user", "li.admin", "--name", "Li", "--role", "process_admin")
    assert first["roles"] == ["process_admin"] and len(first["password"]) >= 12
    assert [e["actor"] for e in _events(cli, "user_created")] == ["system"]

    code, _, err = cli("add-user", "wu.admin", "--name", "Wu", "--role", "process_admin")
    assert code == 4 and "a process_admin exists" in err and "--as" in err
    added = _json(cli, "add-user", "wu.staff", "--name", "Wu", "--role", "carbon_staff", "--as", "li.admin")
    assert added["roles"] == ["carbon_staff"]
    assert [e["actor"] for e in _events(cli, "user_created")] == ["system", "li.admin"]
    code, _, err = cli("deploy", str(PROJECT_ROOT / "processes" / "corrective_action.bpmn"), "--as", "li.admin",
                       "--note", "as shipped")
    assert code == 0, err


def test_demo_users_need_a_process_admin_once_one_exists(cli):  # noqa: F811
    assert cli("init")[0] == 0
    assert cli("demo-users")[0] == 0
    code, _, err = cli("demo-users")
    assert code == 4 and "only a process_admin may load demo users now (name one with --as USER)" in err
    code, _, err = cli("demo-users", "--as", "zhao.staff")
    assert code == 4 and "zhao.staff may not load demo users (needs role process_admin)" in err
    assert cli("demo-users", "--as", "admin")[0] == 0
    resets = _events(cli, "password_reset")
    assert resets and {e["actor"] for e in resets} == {"admin"}


def test_loaded_demo_data_changes_nothing_whoever_asks(cli):  # noqa: F811
    assert cli("init")[0] == 0
    assert cli("demo-data")[0] == 0
    for who in ((), ("--as", "admin"), ("--as", "zhao.staff")):
        code, _, err = cli("demo-data", *who)
        assert code == 5 and "already loaded" in err
