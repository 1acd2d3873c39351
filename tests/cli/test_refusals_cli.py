"""What the command line refuses before the database would: ids no row can have, NUL characters and text that is
not UTF-8, files it would overwrite; each as one line on stderr with a documented exit code, never a traceback."""
from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, ProcessInstance
from tests.cli.test_who_acts_cli import cli  # noqa: F401 - the fixture: the seeded test database
from tests.factories import open_task, raise_data, start_corrective_action

# Ids beyond a 32-bit INTEGER (PostgreSQL's), beyond SQLite's 64 bits, and below the first.
BEYOND = ["99999999999999999999", str(2**63), str(2**31), "0"]

BY_ID = {
    "complete": (["complete", "{id}", "--as", "body", "--data", "{{}}"], "task"),
    "claim": (["claim", "{id}", "--as", "body"], "task"),
    "unclaim": (["unclaim", "{id}", "--as", "body"], "task"),
    "delegate": (["delegate", "{id}", "--as", "body", "--to", "gm"], "task"),
    "suspend": (["suspend", "{id}", "--as", "admin"], "instance"),
    "retry": (["retry", "{id}", "--as", "admin"], "instance"),
    "instance": (["instance", "{id}"], "instance"),
    "links": (["links", "{id}"], "instance"),
    "job": (["job", "{id}"], "job"),
    "evidence --get": (["evidence", "--get", "{id}", "--as", "auditor"], "evidence file"),
    "evidence --instance": (["evidence", "--instance", "{id}", "--as", "auditor"], "instance"),
    "audit --instance": (["audit", "--instance", "{id}"], "instance"),
    "export record": (["export", "record", "--format", "pdf", "--instance", "{id}", "--out", "{out}",
                       "--as", "admin"], "instance"),
}


def _args(template, **values):
    return [part.format(**values) for part in template]


@pytest.mark.parametrize("number", BEYOND)
@pytest.mark.parametrize("name", BY_ID)
def test_an_id_no_row_can_have_is_not_found(cli, tmp_path, name, number):  # noqa: F811
    template, noun = BY_ID[name]
    code, out, err = cli(*_args(template, id=number, out=tmp_path / "record.pdf"))
    assert (code, out, err) == (3, "", f"error: no {noun} {int(number)}\n")
    assert not (tmp_path / "record.pdf").exists()


@pytest.mark.parametrize("name", BY_ID)
def test_the_largest_id_is_looked_for_and_not_found(cli, tmp_path, name):  # noqa: F811
    template, _ = BY_ID[name]
    code, _, err = cli(*_args(template, id=str(2**31 - 1), out=tmp_path / "record.pdf"))
    assert code == 3 and len(err.splitlines()) == 1 and err.startswith("error: ")


def _instances(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance))


def test_a_nul_character_in_an_argument_is_refused_before_anything_is_written(db, cli):  # noqa: F811
    before = _instances(db)
    start = ["start", "corrective_action", "--as", "staff_prod", "--data", json.dumps(raise_data())]
    code, out, err = cli(*start, "--business-key", "NC\x00-1")
    assert (code, out, err) == (6, "", "error: argument 8, 'NC\\x00-1': text may not hold a NUL character (\\x00)\n")
    code, _, err = cli("tasks", "--as", "bo\x00dy")
    assert (code, err) == (6, "error: argument 3, 'bo\\x00dy': text may not hold a NUL character (\\x00)\n")
    assert _instances(db) == before


def test_an_argument_that_was_not_utf8_is_refused_before_anything_is_written(db, cli):  # noqa: F811
    before = _instances(db)
    # What Python makes of the byte 0xff in a command line (surrogateescape), and a lone surrogate in JSON.
    code, _, err = cli("start", "corrective_action", "--as", "staff_prod", "--business-key", "K\udcff",
                       "--data", json.dumps(raise_data()))
    assert (code, err) == (6, "error: argument 6, 'K\\udcff': text must be UTF-8 (it holds bytes that are not, "
                              "or a lone surrogate)\n")
    code, _, err = cli("start", "corrective_action", "--as", "staff_prod", "--data",
                       json.dumps(raise_data(title="Kiln \ud800")))
    assert code == 6 and err.startswith("error: --data: text must be UTF-8")
    assert _instances(db) == before


@pytest.mark.parametrize("data", [raise_data(title="Kiln\x002"), {**raise_data(), "note\x00": "x"},
                                  raise_data(description=["a", {"b": "c\x00"}])])
def test_a_nul_character_in_json_data_is_refused_before_anything_is_written(db, cli, data):  # noqa: F811
    before = _instances(db)
    code, out, err = cli("start", "corrective_action", "--as", "staff_prod", "--data", json.dumps(data))
    assert (code, out, err) == (6, "", "error: --data: text may not hold a NUL character (\\x00)\n")
    assert _instances(db) == before


def test_a_nul_character_in_task_data_leaves_the_task_open(db, cli):  # noqa: F811
    task = open_task(db, start_corrective_action(db), "evaluate_consequences")
    data = json.dumps({"consequences": "Q3\x00", "immediate_handling": "Flagged"})
    code, _, err = cli("complete", str(task.id), "--as", "body", "--data", data)
    assert code == 6 and "NUL" in err
    assert open_task(db, task.instance_id, "evaluate_consequences").id == task.id


def test_a_nul_character_in_an_imported_file_is_refused(cli, tmp_path):  # noqa: F811
    people = tmp_path / "people.csv"
    people.write_text("username,display_name,roles,department\nhu.q,Hu\x00,carbon_staff,quality\n", encoding="utf-8")
    code, _, err = cli("import-users", str(people), "--as", "admin")
    assert (code, err) == (6, f"error: {people}: text may not hold a NUL character (\\x00)\n")
    people.write_bytes(b"username,display_name\n\xff\xfe,x\n")
    code, _, err = cli("import-users", str(people), "--as", "admin")
    assert code == 6 and len(err.splitlines()) == 1 and "not a UTF-8 CSV file" in err


def _exports(db):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export"))


def test_an_export_onto_an_existing_file_is_refused_and_leaves_it_untouched(db, cli, tmp_path):  # noqa: F811
    out = tmp_path / "trail.csv"
    out.write_text("keep me", encoding="utf-8")
    code, stdout, err = cli("export", "audit", "--format", "csv", "--out", str(out), "--as", "admin")
    assert (code, stdout) == (9, "")
    assert err == f"error: {out} exists already; nothing written (choose another --out)\n"
    assert out.read_text(encoding="utf-8") == "keep me" and _exports(db) == 0


def test_an_export_through_a_symlink_or_into_a_missing_folder_is_refused(db, cli, tmp_path):  # noqa: F811
    target = tmp_path / "elsewhere.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)  # dangling: writing through it would create the file it points to
    code, _, err = cli("export", "audit", "--format", "csv", "--out", str(link), "--as", "admin")
    assert code == 9 and "exists already" in err and not target.exists()
    missing = tmp_path / "no-such-folder" / "trail.csv"
    code, _, err = cli("export", "audit", "--format", "csv", "--out", str(missing), "--as", "admin")
    assert (code, err) == (9, f"error: cannot write {missing}: No such file or directory\n")
    assert _exports(db) == 0


@pytest.mark.skipif(not os.environ.get("CARBONFLOW_TEST_DATABASE_URL"),
                    reason="SQLite keeps text of any length: only PostgreSQL refuses it")
def test_a_value_the_database_refuses_is_invalid_data_not_a_traceback(db, cli):  # noqa: F811
    before = _instances(db)
    code, _, err = cli("start", "corrective_action", "--as", "staff_prod", "--business-key", "K" * 300,
                       "--data", json.dumps(raise_data()))
    assert code == 6 and len(err.splitlines()) == 1 and err.startswith("error: the database refused a value: ")
    assert _instances(db) == before
