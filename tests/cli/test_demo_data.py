"""`carbonflow demo-data`: a Shanxi cement plant with a year of instances, seeded once."""
from __future__ import annotations

import json

from tests.cli.test_cli import cli  # noqa: F401 - the fixture


def _json(cli, *args):  # noqa: F811
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def _seeded(cli):  # noqa: F811
    assert cli("init")[0] == 0
    return _json(cli, "demo-data")


def test_demo_data_creates_instances_of_many_processes_in_several_states(cli):  # noqa: F811
    seeded = _seeded(cli)
    assert {u["username"] for u in seeded["users"]} >= {"zhang.gm", "li.carbon", "sun.audit", "admin"}
    assert all(u["password"] for u in seeded["users"])
    rows = _json(cli, "instances")
    assert len({r["process_id"] for r in rows}) >= 8
    assert {r["status"] for r in rows} >= {"running", "completed"}
    assert {r["process_id"] for r in rows if r["status"] == "completed"} >= {
        "policy_approval", "emissions_accounting", "internal_audit", "corrective_action", "reduction_measure"}
    assert any(r["business_key"] == "DEMO-GHG-2025" or (r["business_key"] or "").startswith("DEMO-GHG-")
               for r in rows)


def test_last_years_accounting_holds_realistic_cement_figures(cli):  # noqa: F811
    seeded = _seeded(cli)
    key = next(k for k in seeded["instances"] if k.startswith("DEMO-GHG-"))
    data = _json(cli, "instance", str(seeded["instances"][key]))["data"]
    assert data["accounting_standard"] == "gb_t_32151_8"
    assert data["collection_departments"] == ["production", "energy"]
    # Calcination, kiln coal and grid power: about 1.15 Mt CO₂, 0.62 t per tonne of cement.
    results = data["accounting_results"]
    assert 1_100_000 < float(results["enterprise"]["emissions"]) < 1_200_000
    assert 0.6 < float(results["enterprise"]["intensity"]) < 0.63
    assert set(results["by_source_type"]) == {"industrial_process", "fuel_combustion", "purchased_electricity"}
    assert float(results["by_source_type"]["industrial_process"]) > float(results["by_source_type"]["fuel_combustion"])
    assert data["report_status"] == "approved"


def test_some_open_task_is_overdue(cli):  # noqa: F811
    _seeded(cli)
    overdue = _json(cli, "tasks", "--as", "wang.prod", "--overdue")
    assert [t["name"] for t in overdue] == ["follow_up_overdue"]


def test_the_audit_links_its_corrective_actions_closed_and_open(cli):  # noqa: F811
    seeded = _seeded(cli)
    audit = next(iid for key, iid in seeded["instances"].items() if key.startswith("DEMO-IA-"))
    links = _json(cli, "links", str(audit))
    raised = [r for r in links if r["kind"] == "nonconformity_raised"]
    assert [(r["direction"], r["process_id"]) for r in raised] == [("out", "corrective_action")] * 3
    assert sorted(r["status"] for r in raised) == ["completed", "running", "running"]
    # The year's management review read the audit for its inputs (9.3.1 c).
    assert [(r["direction"], r["process_id"], r["kind"]) for r in links if r not in raised] == [
        ("out", "management_review", "input:management_review_inputs")]


def test_record_clauses_hold_records(cli):  # noqa: F811
    _seeded(cli)
    report = _json(cli, "clauses")
    with_records = {row["clause"] for row in report["clauses"] if row["records_required"] and row["records"]}
    assert {"10.3", "9.2.3"} & with_records and len(with_records) >= 5


def test_running_it_twice_changes_nothing(cli):  # noqa: F811
    _seeded(cli)
    before = (_json(cli, "instances"), _json(cli, "audit"), _json(cli, "users"))
    code, _, err = cli("demo-data")
    assert code != 0 and "already loaded" in err
    assert (_json(cli, "instances"), _json(cli, "audit"), _json(cli, "users")) == before
