"""Throughput under load over HTTP, started as an operator runs CarbonFlow at scale.

Run from the project root (needs PostgreSQL at 127.0.0.1:5432, database `test`, trust auth; Redis at
127.0.0.1:6379 is used as the broker when it answers):

    .venv/bin/python benchmarks/load_bench.py [--users 1,4,16,64] [--web 1,2] [--per-level 120]

It makes a throwaway PostgreSQL database, starts `carbonflow serve --no-worker` (1 or 2 processes, each on its
own port, 8 threads) and one `carbonflow worker` (which sends the notification each completion queues), and
drives virtual users through the JSON API: each lists its inbox (`GET /api/v1/tasks?scope=mine&limit=1`), opens
the first task (`GET /api/v1/tasks/ID`, its form and record) and completes it (`POST .../complete`). Every
user has corrective actions of its own waiting at their first step, so users never race for a task. For each
web-process count and each number of concurrent users it prints completions per second, the latency of one
user's round (list, open, complete: p50/p95/p99) and the CPU time spent per completion by the web and worker
processes and by the whole machine (from /proc; the client and PostgreSQL run on the same 2 cores, so the
figures are a floor, and "per core/s" = completions per CPU-second of the whole machine).
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.engine_bench import PG_ADMIN_URL  # noqa: E402
from engine.db import Database  # noqa: E402
from engine.schema import migrate  # noqa: E402
from engine.services import deployments, instances, tasks, users  # noqa: E402

PASSWORD = "load-bench-password"
REDIS_URL = "redis://127.0.0.1:6379/14"
START = {"title": "Gas meter M-3 not calibrated", "description": "Missed its yearly calibration.",
         "source": "internal_audit", "clause": "8.1.3", "department": "production", "detected_on": "2026-11-20"}
EVALUATE = {"data": {"consequences": "Two months of gas data uncertain.", "immediate_handling": "Recalibrated."}}
CAMUNDA_7_PER_S = 700  # process instances/s with full history on PostgreSQL (Camunda's published figure)
CAMUNDA_8_TASKS_PER_S = 100  # Camunda 8.8's baseline of user tasks completed per second


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _redis_answers() -> bool:
    """Whether Redis answers; its database 14 is emptied of an earlier run's messages if so."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as connection:
            connection.sendall(b"SELECT 14\r\nFLUSHDB\r\n")
            time.sleep(0.1)
            return connection.recv(64).startswith(b"+OK")
    except OSError:
        return False


@contextmanager
def _postgres() -> Iterator[str]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"cf_load_{os.getpid()}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed(url: str, needs: dict[str, int]) -> None:
    """The load users (carbon body), each with ``needs[user]`` corrective actions claimed and waiting for them."""
    db = Database(url)
    with db.transaction() as session:
        users.seed_roles(session)
        users.ensure_department(session, code="carbon_office", name_zh="碳管理办公室", name_en="Carbon office")
        users.ensure_department(session, code="production", name_zh="生产部", name_en="Production")
        users.create_user(session, username="raiser", display_name="Raiser", roles=["carbon_staff"],
                          department="production", password=PASSWORD)
        for username in needs:
            users.create_user(session, username=username, display_name=username, roles=["carbon_body"],
                              department="carbon_office", password=PASSWORD)
        deployments.deploy_directory(session, directory=ROOT / "processes", actor="system")
    for username, count in needs.items():
        for _ in range(count):
            with db.transaction() as session:
                instance = instances.start(session, process_id="corrective_action", actor="raiser", data=START)
                task_id = session.scalar(text("SELECT id FROM human_tasks WHERE instance_id = :i AND status = 'ready'"),
                                         {"i": instance.id})
                tasks.claim(session, task_id=task_id, actor=username)
    db.dispose()


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "carbonflow"), *command], env=env, cwd=ROOT,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/sign-in")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the web process on port {port} did not answer")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and every descendant (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, list(pids)
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _machine_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy (every process: client, web, worker, PostgreSQL), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class VirtualUser(threading.Thread):
    """One person working through their own inbox over the API until the run has done enough."""

    def __init__(self, port: int, token: str, budget: int, latencies: list[float], errors: list[str]):
        super().__init__(daemon=True)
        self.port, self.budget, self.latencies, self.errors = port, budget, latencies, errors
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, connection: http.client.HTTPConnection, method: str, path: str, body: Any = None) -> Any:
        connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=self.headers)
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
        return json.loads(payload)

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for _ in range(self.budget):
            started = time.perf_counter()
            try:
                (task,) = self.call(connection, "GET", "/api/v1/tasks?scope=mine&limit=1")
                self.call(connection, "GET", f"/api/v1/tasks/{task['id']}")
                self.call(connection, "POST", f"/api/v1/tasks/{task['id']}/complete", EVALUATE)
            except Exception as exc:  # noqa: BLE001 - counted and shown; the run goes on
                self.errors.append(str(exc)[:200])
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            self.latencies.append((time.perf_counter() - started) * 1000)


def _token(port: int, username: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/v1/auth/token", body=json.dumps({"username": username, "password": PASSWORD}),
                       headers={"Content-Type": "application/json"})
    return json.loads(connection.getresponse().read())["token"]


def _level(ports: list[int], tokens: dict[str, str], count: int, per_level: int) -> dict[str, Any]:
    """``count`` users at once, each completing its share of ``per_level`` tasks."""
    share = max(5, -(-per_level // count))
    latencies: list[float] = []
    errors: list[str] = []
    people = [VirtualUser(ports[i % len(ports)], tokens[f"load{i + 1:02d}"], share, latencies, errors)
              for i in range(count)]
    started = time.perf_counter()
    for person in people:
        person.start()
    for person in people:
        person.join()
    seconds = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, max(0, round(len(latencies) * p) - 1))] if latencies else 0.0
    return {"done": len(latencies), "seconds": seconds, "per_s": len(latencies) / seconds,
            "p50": statistics.median(latencies) if latencies else 0.0, "p95": pct(0.95), "p99": pct(0.99),
            "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="1,4,16,64")
    parser.add_argument("--web", default="1,2")
    parser.add_argument("--per-level", type=int, default=120, help="completions per level (at least 5 per user)")
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    webs = [int(n) for n in args.web.split(",")]
    needs = {f"load{i + 1:02d}": 0 for i in range(max(levels))}
    for _ in webs:
        for count in levels:
            share = max(5, -(-args.per_level // count))
            for i in range(count):
                needs[f"load{i + 1:02d}"] += share
    broker = REDIS_URL if _redis_answers() else None
    rows = []
    with _postgres() as url, tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        _seed(url, needs)
        print(f"seeded {sum(needs.values())} waiting tasks for {len(needs)} users in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        env = {**os.environ, "DATABASE_URL": url, "CARBONFLOW_SECRET_KEY": "load-bench", "CARBONFLOW_DATA": directory,
               "CARBONFLOW_SECURE_COOKIES": "0", "CARBONFLOW_TICK_SECONDS": "1"}
        if broker:
            env["BROKER_URL"] = broker
        worker = _start(["worker"], env, Path(directory) / "worker.log")
        try:
            for web in webs:
                ports = [_free_port() for _ in range(web)]
                servers = [_start(["serve", "--no-worker", "--port", str(p), "--threads", "8"], env,
                                  Path(directory) / f"web-{p}.log") for p in ports]
                try:
                    for port in ports:
                        _wait_for(port)
                    tokens = {u: _token(ports[0], u) for u in needs}
                    for count in levels:
                        ours = [s.pid for s in servers] + [worker.pid]
                        before = (_cpu_seconds(ours), _machine_cpu_seconds())
                        result = _level(ports, tokens, count, args.per_level)
                        after = (_cpu_seconds(ours), _machine_cpu_seconds())
                        done = max(1, result["done"])
                        rows.append({"web": web, "users": count, **result,
                                     "cpu_app_ms": (after[0] - before[0]) / done * 1000,
                                     "cpu_all_ms": (after[1] - before[1]) / done * 1000})
                        print(f"  {web} web, {count} users: {result['per_s']:.1f}/s", file=sys.stderr)
                finally:
                    for server in servers:
                        server.terminate()
                        server.wait(timeout=30)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    _report(rows, broker)


def _report(rows: list[dict[str, Any]], broker: str | None) -> None:
    print(f"CarbonFlow under load over HTTP (PostgreSQL, broker {broker or 'in-process (Redis did not answer)'}, "
          f"1 worker; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f})")
    print("round = list my inbox, open the first task, complete it (3 requests); CPU per completion in ms: "
          "app = web and worker processes, all = the whole machine (client and PostgreSQL included)")
    print(f"{'web':>3} {'users':>5} {'done':>5} {'errors':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
          f"{'CPU app':>8} {'CPU all':>8} {'per core/s':>10}")
    for r in rows:
        per_core = 1000 / r["cpu_all_ms"] if r["cpu_all_ms"] > 0 else float("nan")
        print(f"{r['web']:>3} {r['users']:>5} {r['done']:>5} {len(r['errors']):>6} {r['per_s']:>7.1f} {r['p50']:>7.1f} "
              f"{r['p95']:>7.1f} {r['p99']:>7.1f} {r['cpu_app_ms']:>8.1f} {r['cpu_all_ms']:>8.1f} {per_core:>10.1f}")
    best = max(rows, key=lambda r: r["per_s"])
    print(f"best: {best['per_s']:.1f} completions/s ({best['per_s'] / (os.cpu_count() or 1):.1f} per core) against "
          f"Camunda 7's ≈ {CAMUNDA_7_PER_S} process instances/s and Camunda 8.8's {CAMUNDA_8_TASKS_PER_S} tasks/s "
          "(their own hardware and definitions: a yardstick, not a like-for-like run)")
    for r in rows:
        if r["errors"]:
            print(f"errors at {r['web']} web, {r['users']} users: {r['errors'][:3]}")


if __name__ == "__main__":
    main()
