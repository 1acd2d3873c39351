"""Walk one nonconformity through corrective action with the `carbonflow` CLI, printing each command.

Run by scripts/run.sh after `carbonflow init` and `carbonflow demo-users`; it is also a tutorial:
every line it prints starting with `$` is a command you can type yourself.
"""
from __future__ import annotations

import json
import shlex
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any


def carbonflow(*args: str, show: bool = True) -> Any:
    """Run one CLI command (with --json), echo it like a shell session, return the parsed output."""
    command = ["carbonflow", *args]
    if show:
        print("$ " + " ".join(shlex.quote(a) for a in command))
    result = subprocess.run([*command, "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"walk-through failed at: {' '.join(command)}\n{result.stderr}")
    return json.loads(result.stdout)


def task_for(user: str, name: str, instance_id: int) -> dict[str, Any]:
    tasks = carbonflow("tasks", "--as", user)
    return next(t for t in tasks if t["name"] == name and t["instance_id"] == instance_id)


def complete(user: str, name: str, instance_id: int, data: dict[str, Any], attach: Path | None = None) -> None:
    task = task_for(user, name, instance_id)
    print(f"   {user} sees task #{task['id']} “{task['title']}” ({task['title_en']}), "
          f"clauses {', '.join(task['clauses'])}, due {task['due_at'] or '-'}")
    extra = ["--attach", str(attach)] if attach else []
    carbonflow("complete", str(task["id"]), "--as", user, "--data", json.dumps(data, ensure_ascii=False), *extra)


def main() -> None:
    key = "NC-" + datetime.now().strftime("%Y%m%d-%H%M%S")
    due = (datetime.now(timezone.utc) + timedelta(days=3)).date().isoformat()
    today = datetime.now(timezone.utc).date().isoformat()  # what happened happened by today, never later
    started = carbonflow("start", "corrective_action", "--as", "zhao.staff", "--business-key", key, "--data",
                         json.dumps({"title": "2# 窑天然气流量计未按期校准 Kiln 2 gas meter not calibrated",
                                     "description": "内审发现 / Found in the internal audit",
                                     "source": "internal_audit", "clause": "8.1.3",
                                     "department": "production", "detected_on": datetime.now().date().isoformat()},
                                    ensure_ascii=False))
    nc = started["id"]
    print(f"   instance {nc} started ({key})\n")
    complete("li.carbon", "evaluate_consequences", nc, {
        "consequences": "Q3 natural-gas data may be understated", "immediate_handling": "Q3 data flagged"})
    complete("wang.prod", "analyse_cause", nc, {
        "severity": "major", "root_cause": "Meter missing from the calibration plan", "similar_checked": True,
        "similar_findings": "Kiln 1 meter checked: in plan", "preventive_measures": "Reconcile plan yearly",
        "corrective_plan": "Calibrate and recompute Q3", "owner": "zhao.staff", "correction_due": due})
    print(f"\n   the correction is due {due}; the process admin sweeps timers as if it were four days later:")
    later = (datetime.now(timezone.utc) + timedelta(days=4)).isoformat(timespec="seconds")
    later_due = (datetime.now(timezone.utc) + timedelta(days=14)).date().isoformat()
    print(f"   fired: {carbonflow('fire-timers', '--now', later, '--as', 'admin')}")
    complete("wang.prod", "follow_up_overdue", nc, {"follow_up_note": "Owner reminded; lab booked",
                                                    "owner": "zhao.staff", "correction_due": later_due})
    complete("zhao.staff", "implement_correction", nc, {
        "actions_taken": "Meter calibrated, Q3 recomputed", "completed_on": today,
        "evidence_description": "Calibration certificate JL-2026-118"})
    complete("li.carbon", "review_effectiveness", nc, {"effective": False, "review_comment": "Q3 not yet re-reported"})
    print("   not effective: back to cause analysis")
    complete("wang.prod", "analyse_cause", nc, {
        "severity": "minor", "root_cause": "Recomputed data not re-reported", "similar_checked": True,
        "preventive_measures": "Add re-reporting to the procedure", "corrective_plan": "Re-report Q3",
        "owner": "zhao.staff", "correction_due": "2099-12-31"})
    complete("zhao.staff", "implement_correction", nc, {
        "actions_taken": "Q3 re-reported", "completed_on": today, "evidence_description": "Report v2"})
    complete("zhang.gm", "review_effectiveness", nc, {"effective": True, "review_comment": "Verified"})
    record = Path(tempfile.mkdtemp()) / "verification-record.txt"
    record.write_text("Q3 natural-gas data re-reported and verified on site.\n", encoding="utf-8")
    print("   closing needs evidence: the verification record is attached")
    complete("li.carbon", "close_nonconformity", nc, {"closure_summary": "Closed with evidence",
                                                      "records_complete": True}, attach=record)
    print()
    final = carbonflow("instance", str(nc))
    print(f"   instance {nc} is {final['status']}\n")
    print(f"$ carbonflow audit --instance {nc}")
    print(subprocess.run(["carbonflow", "audit", "--instance", str(nc)], capture_output=True, text=True,
                         check=True).stdout)
    for command in (["schedules"], ["clauses"]):
        print(f"$ carbonflow {' '.join(command)}")
        print(subprocess.run(["carbonflow", *command], capture_output=True, text=True, check=True).stdout)


if __name__ == "__main__":
    main()
