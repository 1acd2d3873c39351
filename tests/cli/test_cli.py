"""The carbonflow command line, driven as a user would from a fresh database."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.factories import days_ahead, end_of_day


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `carbonflow ARGS` in-process against a fresh SQLite database; returns (code, out, err)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return run


def _json(cli, *args):
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _task(cli, user, name):
    matches = [t for t in _json(cli, "tasks", "--as", user) if t["name"] == name]
    assert matches, f"{user} has no {name} task"
    return matches[0]


START = {"title": "Kiln 2 meter", "description": "Calibration overdue", "source": "internal_audit",
         "clause": "8.1.3", "department": "production", "detected_on": "2026-11-20"}


def test_commands_refuse_to_run_before_init(cli):
    code, _, err = cli("processes", "--json")
    assert code != 0 and "carbonflow init" in err


def test_init_is_idempotent(cli):
    assert cli("init")[0] == 0
    code, out, _ = cli("init")
    assert code == 0 and "corrective_action v1: unchanged" in out
    again = _json(cli, "init")
    assert again["processes"] and {(p["version"], p["created"]) for p in again["processes"]} == {(1, False)}


def test_a_corrective_action_driven_through_the_cli(cli, tmp_path):
    cli("init")
    demo = {u["username"]: u for u in _json(cli, "demo-users")}
    assert {r for u in demo.values() for r in u["roles"]} >= {
        "top_management", "carbon_body", "department_head", "carbon_staff", "internal_auditor",
        "document_controller", "process_admin"}
    assert all(u["password"] for u in demo.values())
    assert {u["username"]: u["department"] for u in _json(cli, "users")}["wang.prod"] == "production"
    assert ("corrective_action", 1) in [(p["id"], p["version"]) for p in _json(cli, "processes")]

    started = _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--business-key", "NC-7",
                    "--data", json.dumps(START))
    assert (started["status"], started["business_key"], started["process_id"]) == ("running", "NC-7", "corrective_action")
    nc = started["id"]

    task = _task(cli, "li.carbon", "evaluate_consequences")
    assert set(task["form"]["required"]) == {"consequences", "immediate_handling"}
    assert task["role"] == "carbon_body" and task["instance_id"] == nc
    assert _json(cli, "claim", str(task["id"]), "--as", "li.carbon")["assignee"] == "li.carbon"
    done = _json(cli, "complete", str(task["id"]), "--as", "li.carbon", "--data",
                 json.dumps({"consequences": "Q3 data uncertain", "immediate_handling": "Flagged"}))
    assert done["status"] == "completed"

    analyse = _task(cli, "wang.prod", "analyse_cause")
    due = days_ahead(10)
    assert "zhao.staff" in analyse["form"]["properties"]["owner"]["enum"]
    assert analyse["form"]["properties"]["severity"]["enum"] == ["minor", "major", "critical"]
    code, _, err = cli("complete", str(analyse["id"]), "--as", "wang.prod", "--data",
                       json.dumps({"root_cause": "", "owner": "ghost"}))
    assert code == 6
    for field in ("root_cause", "owner", "correction_due", "preventive_measures"):
        assert f"  {field}:" in err
    _json(cli, "complete", str(analyse["id"]), "--as", "wang.prod", "--data", json.dumps({
        "severity": "major", "root_cause": "Missed in plan", "similar_checked": True,
        "preventive_measures": "Plan all meters",
        "corrective_plan": "Calibrate", "owner": "zhao.staff", "correction_due": due}))

    fired = _json(cli, "fire-timers", "--now", (end_of_day(due) + timedelta(hours=9)).isoformat(), "--as", "admin")
    assert [(f["instance_id"], f["timer"]) for f in fired["fired"]] == [(nc, "correction_overdue")]
    assert [t["name"] for t in _json(cli, "tasks", "--as", "wang.prod", "--overdue")] == []
    follow_up = _task(cli, "wang.prod", "follow_up_overdue")
    _json(cli, "complete", str(follow_up["id"]), "--as", "wang.prod", "--data",
          json.dumps({"follow_up_note": "Chased", "owner": "zhao.staff", "correction_due": days_ahead(12)}))

    implement = _task(cli, "zhao.staff", "implement_correction")
    _json(cli, "complete", str(implement["id"]), "--as", "zhao.staff", "--data", json.dumps({
        "actions_taken": "Calibrated", "completed_on": days_ahead(0), "evidence_description": "Cert 118"}))
    review = _task(cli, "li.carbon", "review_effectiveness")
    _json(cli, "complete", str(review["id"]), "--as", "li.carbon", "--data",
          json.dumps({"effective": True, "review_comment": "OK"}))
    close = _task(cli, "zhang.gm", "close_nonconformity")
    assert close["evidence_required"] is True
    closing = {"closure_summary": "Closed", "records_complete": True}
    code, _, err = cli("complete", str(close["id"]), "--as", "zhang.gm", "--data", json.dumps(closing))
    assert code == 6 and "requires evidence" in err
    record = tmp_path / "verification.txt"
    record.write_text("Q3 data re-reported and verified.")
    _json(cli, "complete", str(close["id"]), "--as", "zhang.gm", "--data", json.dumps(closing),
          "--attach", str(record))

    shown = _json(cli, "instance", str(nc))
    assert shown["status"] == "completed" and shown["open_tasks"] == []
    assert [s["name"] for s in shown["completed_steps"]][:4] == ["start", "merge_start", "init_rounds",
                                                                   "evaluate_consequences"]
    assert [i["id"] for i in _json(cli, "instances", "--status", "completed")] == [nc]
    trail = _json(cli, "audit", "--instance", str(nc))
    assert [e["action"] for e in trail] == ["start", "claim", "complete", "complete", "timer_fired",
                                            "complete", "complete", "complete", "complete", "evidence_attached",
                                            "instance_completed"]
    assert set(trail[0]) >= {"id", "at", "actor", "action", "instance_id", "task_id", "data"}


def test_errors_go_to_stderr_with_distinct_exit_codes(cli):
    cli("init")
    cli("demo-users")
    assert cli("start", "no_such_process", "--as", "zhao.staff")[0] == 3
    assert cli("start", "corrective_action", "--as", "ghost")[0] == 3
    code, _, err = cli("start", "corrective_action", "--as", "zhao.staff", "--data", "{not json")
    assert code == 2 and "not valid JSON" in err
    nc = _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--data", json.dumps(START))["id"]
    task = _task(cli, "li.carbon", "evaluate_consequences")
    code, _, err = cli("claim", str(task["id"]), "--as", "zhao.staff")
    assert code == 4 and "may not claim" in err
    assert cli("suspend", str(nc), "--as", "zhao.staff")[0] == 4
    assert _json(cli, "suspend", str(nc), "--as", "admin")["status"] == "suspended"
    assert cli("suspend", str(nc), "--as", "admin")[0] == 5
    assert _json(cli, "resume", str(nc), "--as", "admin")["status"] == "running"
    assert _json(cli, "terminate", str(nc), "--as", "admin")["status"] == "terminated"


def test_deploy_refuses_an_unsafe_file_and_reports_it(cli, tmp_path):
    cli("init")
    cli("demo-users")
    bad = tmp_path / "evil.bpmn"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>')
    code, _, err = cli("deploy", str(bad), "--as", "admin", "--note", "an unsafe file")
    assert code == 7 and "evil.bpmn: refused unsafe XML" in err


def test_send_message_with_nobody_waiting_is_an_error(cli):
    cli("init")
    cli("demo-users")
    code, _, err = cli("send-message", "no_such_message", "--as", "zhang.gm", "--data", "{}")
    assert code == 3 and "no process starts on message 'no_such_message'" in err


@pytest.mark.skipif(shutil.which("carbonflow", path=str(Path(sys.executable).parent)) is None,
                    reason="the carbonflow entry point is not installed in this environment")
def test_the_installed_command_runs_as_a_separate_process(tmp_path):
    exe = shutil.which("carbonflow", path=str(Path(sys.executable).parent))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'proc.db'}"}
    subprocess.run([exe, "init"], env=env, check=True, capture_output=True)
    out = subprocess.run([exe, "processes", "--json"], env=env, check=True, capture_output=True, text=True)
    assert "corrective_action" in [p["id"] for p in json.loads(out.stdout)]


def test_evidence_is_attached_listed_and_written_back_unchanged(cli, tmp_path):
    cli("init")
    _json(cli, "demo-users")
    nc = _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--data", json.dumps(START))["id"]
    task = _task(cli, "li.carbon", "evaluate_consequences")
    photo = tmp_path / "meter-photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff meter 7 display")
    done = _json(cli, "complete", str(task["id"]), "--as", "li.carbon", "--attach", str(photo), "--data",
                 json.dumps({"consequences": "Q3 data uncertain", "immediate_handling": "Flagged"}))
    [attached] = done["evidence"]
    assert (attached["file_name"], attached["content_type"], attached["size"]) == ("meter-photo.jpg", "image/jpeg",
                                                                              len(photo.read_bytes()))

    listed = _json(cli, "evidence", "--instance", str(nc), "--as", "sun.audit")
    assert [e["sha256"] for e in listed] == [attached["sha256"]]
    out = tmp_path / "copy.jpg"
    _json(cli, "evidence", "--get", str(attached["id"]), "--out", str(out), "--as", "sun.audit")
    assert out.read_bytes() == photo.read_bytes()
    code, _, err = cli("evidence", "--get", str(attached["id"]), "--out", str(out), "--as", "sun.audit")
    assert code == 9 and "exists" in err
    code, _, err = cli("evidence", "--get", str(attached["id"]), "--as", "chen.staff")
    assert code == 4 and "may not read the evidence" in err
    code, _, err = cli("evidence", "--get", "999", "--as", "sun.audit")
    assert code == 3 and "no evidence file 999" in err


def test_schedules_are_listed_and_moved_by_an_admin(cli):
    cli("init")
    _json(cli, "demo-users")
    listed = {s["process_id"]: s for s in _json(cli, "schedules")}
    assert listed["internal_audit"]["period"] == "P1Y" and listed["internal_audit"]["enabled"]
    code, _, err = cli("schedule", "internal_audit", "--as", "zhang.gm", "--next", "2027-04-15T09:00:00+08:00")
    assert code == 4 and "process_admin" in err
    moved = _json(cli, "schedule", "internal_audit", "--as", "admin", "--next", "2027-04-15T09:00:00+08:00")
    assert moved["next_run_at"] == "2027-04-15T01:00:00+00:00" and moved["configured"]
    swept = _json(cli, "fire-timers", "--now", "2027-04-15T09:30:00+08:00", "--as", "admin")
    audits = [i for i in swept["scheduled_starts"] if _json(cli, "instance", str(i))["process_id"] == "internal_audit"]
    assert len(audits) == 1
    assert _json(cli, "schedule", "internal_audit", "--as", "admin", "--off")["enabled"] is False


def test_links_and_the_clause_report_from_the_command_line(cli):
    cli("init")
    _json(cli, "demo-users")
    report = _json(cli, "clauses")
    assert report["summary"]["records_required_uncovered"] == []
    code, out, _ = cli("clauses")
    assert code == 0 and "10.3" in out and "record clauses not covered: none" in out
    nc = _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--data", json.dumps(START))["id"]
    assert _json(cli, "links", str(nc)) == []
    assert cli("links", "999")[0] == 3


def test_background_work_from_the_command_line(cli, tmp_path):
    cli("init")
    _json(cli, "demo-users")
    queued = _json(cli, "send-message", "regulation_changed", "--as", "zhang.gm", "--queue", "--data", json.dumps({
        "title": "New cement guide", "issuer": "MEE", "effective_date": "2027-01-01", "summary": "Factors."}))
    assert queued["kind"] == "deliver_message" and queued["status"] == "pending"
    swept = _json(cli, "fire-timers")  # cron-style: one sweep also runs queued jobs
    assert {"id": queued["id"], "outcome": "done"} in swept["jobs"]
    assert _json(cli, "job", str(queued["id"]))["result"]["started"]
    assert [n["kind"] for n in _json(cli, "notifications", "--as", "li.carbon")] == ["new_task"]
    assert _json(cli, "notifications", "--as", "li.carbon", "--unread", "--mark-read")
    assert _json(cli, "notifications", "--as", "li.carbon", "--unread") == []
    assert _json(cli, "incidents") == []

    people = tmp_path / "people.csv"
    people.write_text("username,display_name,roles,department,email\n"
                      "hu.quality,胡工,carbon_staff,quality,hu@plant.example\n", encoding="utf-8")
    assert _json(cli, "import-users", str(people), "--as", "admin")["created"] == ["hu.quality"]
    code, _, err = cli("import-users", str(people), "--as", "zhao.staff")
    assert code == 4 and "may not import users" in err
    code, _, err = cli("import-users", str(people), "--as", "zhao.staff", "--queue")
    assert code == 4 and "may not import users" in err  # refused when queued, not later
    code, _, err = cli("send-message", "regulation_changed", "--as", "zhao.staff", "--queue", "--data", "{}")
    assert code == 4 and "needs role carbon_body" in err
    again = _json(cli, "send-message", "regulation_changed", "--as", "zhang.gm", "--queue", "--key", "MEE-2027-1",
                  "--data", json.dumps({"title": "t", "issuer": "i", "effective_date": "2027-01-01", "summary": "s"}))
    twice = _json(cli, "send-message", "regulation_changed", "--as", "zhang.gm", "--queue", "--key", "MEE-2027-1",
                  "--data", json.dumps({"title": "t", "issuer": "i", "effective_date": "2027-01-01", "summary": "s"}))
    assert again["id"] == twice["id"]  # the same key: one delivery
    report = _json(cli, "clauses", "--queue", "--as", "sun.audit")
    _json(cli, "fire-timers")
    assert _json(cli, "job", str(report["id"]))["result"]["summary"]["clauses"] == 45


def test_looking_ahead_fires_timers_but_sends_no_early_reminders(cli):
    cli("init")
    _json(cli, "demo-users")
    _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--data", json.dumps(START))
    ahead = _json(cli, "fire-timers", "--now", "2099-01-01T00:00:00+08:00", "--as", "admin")
    assert ahead["reminders"] == 0
    assert all(n["kind"] != "overdue" for n in _json(cli, "notifications", "--as", "li.carbon"))


def test_a_failed_job_is_retried_or_dismissed_by_a_process_admin(cli, tmp_path):
    cli("init")
    _json(cli, "demo-users")
    people = tmp_path / "people.csv"
    people.write_text("username,display_name,roles,department\nnew.one,New,no_such_role,quality\n", encoding="utf-8")
    queued = _json(cli, "import-users", str(people), "--as", "admin", "--queue")
    _json(cli, "fire-timers")
    failed = _json(cli, "job", str(queued["id"]))
    assert failed["status"] == "failed" and "no_such_role" in failed["error"]  # bad data: no use retrying
    assert [i["job_id"] for i in _json(cli, "incidents")] == [queued["id"]]
    code, _, err = cli("job", str(queued["id"]), "--cancel", "typo in the file")
    assert code == 2 and "--as" in err
    assert cli("job", str(queued["id"]), "--cancel", "typo in the file", "--as", "zhang.gm")[0] == 4
    assert _json(cli, "job", str(queued["id"]), "--cancel", "typo in the file", "--as", "admin")["status"] == "cancelled"
    assert _json(cli, "incidents") == []
    code, _, err = cli("job", str(queued["id"]), "--retry", "--as", "admin")
    assert code == 3 and "no failed job" in err


def test_processes_carry_their_start_form_as_json_schema(cli):
    cli("init")
    forms = {p["id"]: p["start_form"] for p in _json(cli, "processes")}
    assert forms["corrective_action"]["$id"] == "corrective_action.raise"
    assert "title" in forms["corrective_action"]["required"]
    assert all(form is not None for form in forms.values())  # every shipped process starts by hand too


def test_instances_and_tasks_carry_their_instance_title(cli):
    cli("init")
    _json(cli, "demo-users")
    started = _json(cli, "start", "corrective_action", "--as", "zhao.staff", "--data", json.dumps(START))
    assert started["title"] == START["title"]
    assert [i["title"] for i in _json(cli, "instances") if i["id"] == started["id"]] == [START["title"]]
    assert _task(cli, "li.carbon", "evaluate_consequences")["instance_title"] == START["title"]



def test_serve_has_waitress_refuse_a_body_larger_than_the_app_takes(cli, monkeypatch):
    """waitress would otherwise spool up to 1 GiB of a request before the app's own limit refuses it."""
    import cli.serve as serving
    from webui.app import MAX_BODY_BYTES

    given = {}
    monkeypatch.setattr(serving, "waitress_serve", lambda app, **options: given.update(options))
    cli("init")
    cli("serve", "--no-worker", "--port", "8123")
    assert given["max_request_body_size"] == MAX_BODY_BYTES
    assert MAX_BODY_BYTES >= 25 * 1024 * 1024 * 4 // 3  # a 25 MiB evidence file as base64 in the API's JSON
