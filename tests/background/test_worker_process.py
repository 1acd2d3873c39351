"""Real `carbonflow worker` processes: one killed with SIGKILL mid-job, a second finishing it exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.models import Job, ProcessInstance
from engine.services import jobs
from tests.factories import bpmn, deploy, user_task

# A process whose first step computes for a few seconds: long enough to kill a worker in the middle.
SLOW = bpmn("slow_report", (
    '<bpmn:startEvent id="s"><bpmn:messageEventDefinition id="m" messageRef="msg" /></bpmn:startEvent>'
    '<bpmn:scriptTask id="compute"><bpmn:script>total = 0\nfor i in range(rounds):\n'
    '    for j in range(999):\n        total = total + 1</bpmn:script></bpmn:scriptTask>'
    + user_task("read")
    + '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="compute" />'
      '<bpmn:sequenceFlow id="b" sourceRef="compute" targetRef="read" />'),
    lanes={"carbon_body": ["s", "compute", "read"]}, extra='<bpmn:message id="msg" name="test_slow_report" />')


def _worker(db) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
           "CARBONFLOW_TICK_SECONDS": "0.2", "CARBONFLOW_SCRIPT_TIMEOUT": "60",
           "CARBONFLOW_JOB_LEASE_SECONDS": "2"}
    env.pop("BROKER_URL", None)
    if os.environ.get("CARBONFLOW_TEST_BROKER_URL"):
        env["BROKER_URL"] = os.environ["CARBONFLOW_TEST_BROKER_URL"]
    return subprocess.Popen([sys.executable, "-m", "cli", "worker", "--threads", "1"], env=env,
                            cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _job(db, job_id: int) -> Job:
    with db.reading() as session:
        return session.get(Job, job_id)


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _reports(db) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)
                              .where(ProcessInstance.process_id == "slow_report"))


def test_a_job_whose_worker_is_killed_mid_way_is_done_exactly_once_by_the_next(db):
    deploy(db, SLOW)
    with db.transaction() as session:
        job_id = jobs.enqueue(session, kind="deliver_message", actor="gm",
                              payload={"name": "test_slow_report", "data": {"rounds": 999}}).id
    first = _worker(db)
    try:
        assert _wait(lambda: _job(db, job_id).dispatched_at is not None, 30), "the worker never took the job"
        time.sleep(1.5)  # inside the long first step
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    assert (_job(db, job_id).status, _reports(db)) == ("pending", 0)  # nothing half-written

    second = _worker(db)
    try:
        assert _wait(lambda: _job(db, job_id).status == "done", 90), _job(db, job_id).last_error
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
    assert _reports(db) == 1
    assert _job(db, job_id).attempts == 2  # the killed try counts: a job that always kills its worker ends
