"""`carbonflow export nonconformities|trace|records` on the demo plant: files a verifier reads offline."""
from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

from cli.main import main

VERIFIER = "he.verifier"  # the demo plant's external verifier (the read-only auditor role)


@pytest.fixture(scope="module")
def plant(tmp_path_factory):
    """The demo plant, seeded once for the module; returns run(*args) -> (code, out, err)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('plant') / 'plant.db'}"
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", url)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    assert run("init")[0] == 0
    assert run("demo-data")[0] == 0
    yield run
    patch.undo()


def _nonconformity_ids(plant) -> list[int]:
    code, out, err = plant("instances", "--process", "corrective_action", "--json")
    assert code == 0, err
    return [row["id"] for row in json.loads(out)]


def test_the_register_exports_as_csv_and_xlsx_with_the_same_rows(plant, tmp_path):
    ids = _nonconformity_ids(plant)
    code, out, err = plant("export", "nonconformities", "--format", "csv", "--out", str(tmp_path / "nc.csv"),
                           "--lang", "en", "--as", VERIFIER)
    assert code == 0, err
    assert "audit chain verified intact" in out
    text = (tmp_path / "nc.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("# ")))
    assert sorted(int(r["Instance"]) for r in rows) == sorted(ids)
    statuses = {r["Status"] for r in rows}
    assert "Overdue" in statuses and statuses & {"Closed", "Closed late"}
    assert "# Audit chain: verified intact" in text

    assert plant("export", "nonconformities", "--format", "xlsx", "--out", str(tmp_path / "nc.xlsx"),
                 "--status", "open", "--as", VERIFIER)[0] == 0
    sheet = load_workbook(tmp_path / "nc.xlsx").worksheets[0]
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    status = header.index("状态")
    open_rows = [r for r in rows if r["Status"] in ("Open", "Overdue")]
    assert sorted(r[header.index("编号")] for r in body) == sorted(int(r["Instance"]) for r in open_rows)
    assert {r[status] for r in body} <= {"待办理", "已逾期"}


def test_a_trace_pdf_holds_each_step_of_one_nonconformity(plant, tmp_path):
    closed = [r for r in _register(plant, tmp_path) if r["Status"].startswith("Closed")][0]
    target = tmp_path / "trace.pdf"
    code, out, err = plant("export", "trace", "--format", "pdf", "--instance", closed["Instance"],
                           "--out", str(target), "--lang", "en", "--as", VERIFIER)
    assert code == 0, err
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    for step in ("Finding", "Consequences evaluated", "Root cause", "Correction carried out",
                 "Effectiveness review", "Closure", "Audit chain: verified intact"):
        assert step in text, step
    assert text.index("Finding") < text.index("Correction carried out") < text.index("Closure")
    assert closed["Title"][:6] in text  # Chinese titles come through the embedded CJK font


def test_the_records_pdf_has_every_clause_marked_R_with_its_instances(plant, tmp_path):
    target = tmp_path / "records.pdf"
    code, out, err = plant("export", "records", "--format", "pdf", "--from", "2000-01-01", "--out", str(target),
                           "--as", VERIFIER)
    assert code == 0, err
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    for clause in ("6.1.3", "6.3.3", "9.2.3", "9.3.2", "10.3"):
        assert clause in text
    assert "内部审核" in text and "纠正措施" in text  # processes by their names, not their ids
    assert "internal_audit" not in text and "corrective_action" not in text


def test_bad_requests_name_what_is_wrong_and_write_nothing(plant, tmp_path):
    target = tmp_path / "x.csv"
    code, _out, err = plant("export", "trace", "--format", "csv", "--instance", "1", "--out", str(target),
                            "--as", VERIFIER)
    assert code != 0 and "use --format pdf" in err and not target.exists()
    code, _out, err = plant("export", "trace", "--format", "pdf", "--out", str(target), "--as", VERIFIER)
    assert code != 0 and "--instance" in err and not target.exists()
    code, _out, err = plant("export", "nonconformities", "--format", "csv", "--out", str(target),
                            "--as", "wang.prod")
    assert code != 0 and "may not see the nonconformity register" in err and not target.exists()
    audit = next(i for i in _ids(plant, "internal_audit"))
    code, _out, err = plant("export", "trace", "--format", "pdf", "--instance", str(audit), "--out",
                            str(tmp_path / "t.pdf"), "--as", VERIFIER)
    assert code != 0 and "not a nonconformity" in err


def _register(plant, tmp_path) -> list[dict[str, str]]:
    target = tmp_path / "register.csv"
    assert plant("export", "nonconformities", "--format", "csv", "--out", str(target), "--lang", "en",
                 "--as", VERIFIER)[0] == 0
    text = target.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("# ")))


def _ids(plant, process: str) -> list[int]:
    code, out, err = plant("instances", "--process", process, "--json")
    assert code == 0, err
    return [row["id"] for row in json.loads(out)]


def test_any_instance_record_exports_as_a_pdf_in_chinese_by_default_or_english(plant, tmp_path):
    code, out, err = plant("instances", "--process", "policy_approval", "--json")
    assert code == 0, err
    policy = json.loads(out)[0]
    target, english = tmp_path / "record.pdf", tmp_path / "record-en.pdf"
    code, out, err = plant("export", "record", "--format", "pdf", "--instance", str(policy["id"]), "--out",
                           str(target), "--as", VERIFIER)
    assert code == 0, err
    assert "steps; audit chain verified intact" in out
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert "流程实例记录" in text and policy["title"].split("（")[0] in text
    code, _, err = plant("export", "record", "--format", "pdf", "--instance", str(policy["id"]), "--lang", "en",
                         "--out", str(english), "--as", VERIFIER)
    assert code == 0, err
    assert "instance record" in "\n".join(page.extract_text() for page in PdfReader(english).pages)
    code, _, err = plant("export", "record", "--format", "csv", "--instance", str(policy["id"]), "--out",
                         str(tmp_path / "x.csv"), "--as", VERIFIER)
    assert code == 6 and "use --format pdf" in err
