"""`carbonflow audit --verify` and `carbonflow export`: what an auditor runs from a script or cron."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from cli.main import main
from engine.db import Database


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """Run `carbonflow ARGS` against a fresh SQLite database with the processes and demo users; (code, out, err)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    assert run("demo-users")[0] == 0
    run.url = url
    return run


def test_verify_reports_an_intact_chain(cli):
    code, out, _err = cli("audit", "--verify", "--json")
    result = json.loads(out)
    assert code == 0 and result["ok"] and result["events"] == result["head_seq"] > 0


def test_verify_exits_non_zero_naming_the_first_bad_event(cli):
    db = Database(cli.url)
    with db.engine.begin() as connection:
        victim = connection.scalar(text("SELECT id FROM audit_events ORDER BY seq LIMIT 1 OFFSET 2"))
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text(f"UPDATE audit_events SET actor = 'mallory' WHERE id = {victim}"))
    db.dispose()
    code, out, _err = cli("audit", "--verify")
    assert code == 8 and f"event {victim} " in out and "altered" in out


def test_verify_continues_from_its_checkpoint_and_full_rereads_the_whole_chain(cli):
    _code, out, _err = cli("audit", "--verify", "--json")
    first = json.loads(out)
    assert first["checked_from"] is None and first["new_checkpoint"]["seq"] == first["head_seq"] + 1
    code, out, _err = cli("audit", "--verify", "--json")
    again = json.loads(out)
    assert code == 0 and again["checked_from"]["checkpoint_seq"] == first["new_checkpoint"]["seq"]
    assert again["events"] == 1 and again["new_checkpoint"] is None  # only the checkpoint read, none added
    code, out, _err = cli("audit", "--verify", "--full")
    assert code == 0 and out.startswith(f"audit trail intact: {again['head_seq']} events")
    code, _out, err = cli("audit", "--full")
    assert code == 2 and "--verify" in err


def test_export_writes_the_audit_trail_of_a_period_and_never_overwrites(cli, tmp_path):
    out = tmp_path / "trail.csv"
    code, out_text, err = cli("export", "audit", "--format", "csv", "--out", str(out), "--from", "2000-01-01",
                              "--to", "2999-12-31", "--action", "deploy", "--lang", "en", "--as", "he.verifier")
    assert code == 0, err
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    rows = [line for line in lines if not line.startswith("# ")][1:]
    assert len(rows) == 14 and all(",Deployed a process,deploy," in row for row in rows)  # one deploy per process
    assert "verified intact" in out_text and "# Filter: action = Deployed a process (deploy)" in lines
    code, _out, err = cli("export", "audit", "--format", "csv", "--out", str(out), "--as", "he.verifier")
    assert code == 9 and "exists" in err


def test_export_is_in_chinese_unless_lang_en_asks_for_english_with_its_pages_numbered(cli, tmp_path):
    from pypdf import PdfReader

    texts = {}
    for lang in ("zh", "en"):
        out = tmp_path / f"trail-{lang}.pdf"
        code, _out, err = cli("export", "audit", "--format", "pdf", "--out", str(out), "--action", "deploy",
                              *(["--lang", "en"] if lang == "en" else []), "--as", "he.verifier")
        assert code == 0, err
        texts[lang] = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert "CarbonFlow 审计追踪" in texts["zh"] and "部署流程" in texts["zh"] and "第 1 页 / 共" in texts["zh"]
    assert "CarbonFlow audit trail" in texts["en"] and "Deployed a process" in texts["en"] and "Page 1 of" in texts["en"]


def test_export_is_refused_to_someone_who_does_not_oversee_and_names_a_bad_date(cli, tmp_path):
    code, _out, err = cli("export", "audit", "--format", "xlsx", "--out", str(tmp_path / "x.xlsx"),
                          "--as", "zhao.staff")
    assert code == 4 and "oversee" in err and not (tmp_path / "x.xlsx").exists()
    code, _out, err = cli("export", "audit", "--format", "pdf", "--out", str(tmp_path / "x.pdf"),
                          "--from", "2026-02-30", "--as", "he.verifier")
    assert code == 6 and "from" in err and "2026-02-30" in err


def test_a_refused_command_is_recorded_in_the_trail(cli):
    code, _out, err = cli("start", "corrective_action", "--as", "he.verifier", "--data", "{}")
    assert code != 0 and "he.verifier" in err
    db = Database(cli.url)
    with db.engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT actor, data FROM audit_events WHERE action = 'refused' ORDER BY seq")).all()
    db.dispose()
    assert len(rows) == 1 and rows[0][0] == "he.verifier"
    data = json.loads(rows[0][1]) if isinstance(rows[0][1], str) else rows[0][1]
    assert data["command"].endswith("start") and "he.verifier" in data["reason"]
