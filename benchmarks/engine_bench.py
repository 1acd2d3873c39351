"""CarbonFlow engine benchmark: bare SpiffWorkflow versus the engine services, history growth, inbox.

Run from the project root:

    .venv/bin/python benchmarks/engine_bench.py [--quick] [--json] [--no-pg]

Sections, all on the corrective-action process:
  1. one user-task completion: bare SpiffWorkflow in memory (restricted and default script engine),
     a "bare step + one commit" reference, and tasks.complete on SQLite and PostgreSQL;
  2. saved-state size and completion time after 1, 10 and 50 trips round the not-effective loop;
  3. inbox query time (queries.tasks_for_user) with 10,000 and 100,000 open tasks.
PostgreSQL runs in a throwaway database created next to `test` and dropped afterwards; it is
skipped, with a note, when the server cannot be reached.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

import forms
from demo import users as demo_users
from engine import people
from engine.bpmn.parsing import parse_bpmn
from engine.bpmn.runtime import Runtime, ready_user_tasks
from engine.bpmn.scripting import helpers, make_script_engine
from engine.db import Database
from engine.models import HumanTask, ProcessDefinition, ProcessInstance, TaskStatus
from engine.models import task_counts
from engine.models.tasks import NO_DUE_DATE
from engine.read import queries
from engine.read.gathered import PARAMETERS
from engine.schema import migrate
from engine.services import deployments, evidence, instances, tasks

ROOT = Path(__file__).resolve().parent.parent
BPMN = ROOT / "processes" / "corrective_action.bpmn"
PROCESS_ID = "corrective_action"
TIMEZONE = "Asia/Shanghai"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TARGET_RATIO = 3.0
TARGET_INBOX_MS = 20.0
LOOP_COUNTS = (1, 10, 50)
INBOX_SIZES = (10_000, 100_000)
INBOX_USER = "li.carbon"

START_DATA = {
    "title": "Gas meter M-3 not calibrated",
    "description": "The natural-gas meter M-3 of boiler 2 missed its yearly calibration.",
    "source": "internal_audit", "clause": "8.1.3", "department": "production",
    "detected_on": "2026-11-20",
}

# Who completes each user task, and the (already valid) form data they submit.
FORMS: dict[str, tuple[str, dict[str, Any]]] = {
    "evaluate_consequences": ("li.carbon", {
        "consequences": "Two months of boiler 2 gas consumption data are uncertain.",
        "immediate_handling": "Meter recalibrated; the gap is estimated from the invoice."}),
    "analyse_cause": ("wang.prod", {
        "severity": "major", "root_cause": "Calibration dates were kept in a spreadsheet nobody watched.",
        "similar_checked": True, "similar_findings": "Meter M-5 is due next month.",
        "preventive_measures": "Calibration calendar with reminders for every meter.",
        "corrective_plan": "Move all meters to the maintenance system's calendar.",
        "owner": "zhao.staff", "correction_due": "2099-12-31"}),
    "implement_correction": ("zhao.staff", {
        "actions_taken": "All 14 meters entered in the maintenance calendar.",
        "completed_on": "2026-11-22",
        "evidence_description": "Export of the calendar, attached to the record."}),
    "review_effectiveness": ("li.carbon", {
        "effective": True, "review_comment": "Reminders fire; M-5 was calibrated on time."}),
    "close_nonconformity": ("li.carbon", {
        "closure_summary": "Records complete; the correction is effective.",
        "records_complete": True}),
}
# Closing a nonconformity needs evidence attached (evidenceRequired in the model).
EVIDENCE = evidence.Upload("calendar-export.pdf", b"%PDF-1.7 maintenance calendar export", "application/pdf")
HAPPY_PATH = ("evaluate_consequences", "analyse_cause", "implement_correction",
              "review_effectiveness", "close_nonconformity")
LOOP = ("analyse_cause", "implement_correction", "review_effectiveness")


@dataclass(frozen=True)
class Reps:
    """How many repetitions each measurement gets."""

    bare_instances: int
    engine_instances: int
    loop_bare: int
    loop_engine: int
    inbox_runs: int


FULL = Reps(bare_instances=200, engine_instances=40, loop_bare=25, loop_engine=7, inbox_runs=20)
QUICK = Reps(bare_instances=40, engine_instances=10, loop_bare=7, loop_engine=2, inbox_runs=7)


# ---------------------------------------------------------------------------------------------
# Small helpers


def form_for(name: str, effective: bool = True) -> tuple[str, dict[str, Any]]:
    """The actor and a fresh copy of the form data for a task; review data says `effective`."""
    actor, data = FORMS[name]
    data = dict(data)
    if name == "review_effectiveness":
        data["effective"] = effective
    return actor, data


def timed(run: Callable[[], Any]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def ms(seconds: list[float]) -> float:
    """Median in milliseconds."""
    return statistics.median(seconds) * 1000


def mean_ms(seconds: list[float]) -> float:
    """Mean in milliseconds."""
    return statistics.fmean(seconds) * 1000


def utf8_size(text_: str) -> int:
    """Size of saved text in bytes as stored (UTF-8)."""
    return len(text_.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Bare SpiffWorkflow


@dataclass(frozen=True)
class Model:
    """The corrective-action spec, parsed once and shared by every bare workflow."""

    spec: Any
    subprocess_specs: dict[str, Any]


def parse_model() -> Model:
    """Parse the BPMN file once, with the same checks a deployment runs."""
    parsed = parse_bpmn(BPMN.read_bytes(), BPMN.name, roles=people.ROLES.keys(), form_keys=forms.FORMS, queries=PARAMETERS)
    return Model(parsed.spec, parsed.subprocess_specs)


def default_script_engine() -> PythonScriptEngine:
    """SpiffWorkflow's own (unrestricted) engine, given the helpers the model calls (end_of_day)."""
    return PythonScriptEngine(environment=TaskDataEnvironment(helpers(ZoneInfo(TIMEZONE))))


STOCK_ENGINE = default_script_engine()


def start_bare(model: Model, script_engine: PythonScriptEngine) -> BpmnWorkflow:
    """A fresh workflow with the start data, advanced to its first user task."""
    workflow = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=script_engine)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(START_DATA)
    workflow.do_engine_steps()
    return workflow


def next_user_task(workflow: BpmnWorkflow) -> Any:
    """The one ready user task (the corrective action never has two at once)."""
    ready = ready_user_tasks(workflow)
    assert len(ready) == 1, f"expected one ready user task, found {len(ready)}"
    return ready[0]


def complete_bare(workflow: BpmnWorkflow, task: Any, data: dict[str, Any]) -> None:
    """What a bare completion costs: merge the form data, run the task, advance."""
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()


def timed_bare_completion(workflow: BpmnWorkflow, effective: bool = True) -> float:
    """Complete the ready user task; seconds for the completion alone (finding it is not timed)."""
    task = next_user_task(workflow)
    _, data = form_for(task.task_spec.bpmn_id, effective)
    return timed(lambda: complete_bare(workflow, task, data))


def bare_happy_paths(model: Model, script_engine: PythonScriptEngine, count: int) -> list[float]:
    """Per-completion seconds over `count` happy-path instances (one untimed warm-up first)."""
    seconds: list[float] = []
    for index in range(count + 1):
        workflow = start_bare(model, script_engine)
        run = [timed_bare_completion(workflow) for _ in HAPPY_PATH]
        assert workflow.is_completed()
        if index:
            seconds.extend(run)
    return seconds


def drive_bare(model: Model, script_engine: PythonScriptEngine, loops: int) -> BpmnWorkflow:
    """A workflow taken round the not-effective loop `loops` times, now waiting at analyse_cause."""
    workflow = start_bare(model, script_engine)
    timed_bare_completion(workflow)
    for _ in range(loops):
        for name in LOOP:
            assert next_user_task(workflow).task_spec.bpmn_id == name
            timed_bare_completion(workflow, effective=False)
    assert next_user_task(workflow).task_spec.bpmn_id == "analyse_cause"
    return workflow


def restore_bare(runtime: Runtime, model: Model, state: str) -> BpmnWorkflow:
    """Restore spec-by-reference state onto the parsed model, with SpiffWorkflow's own script engine."""
    workflow = runtime.serializer.load_workflow(state, model.spec, model.subprocess_specs)
    workflow.script_engine = STOCK_ENGINE
    return workflow


class StepCommitReference:
    """The 'bare step + one commit' reference: one row per instance, read, stepped and written back.

    ``stock`` uses SpiffWorkflow's own serializer (the spec inside every saved state), which is
    what "bare SpiffWorkflow" means; otherwise the state is saved with the spec by reference, as
    the engine does. ``connection`` is a DB-API connection (sqlite3, or psycopg for PostgreSQL).
    """

    def __init__(self, connection: Any, placeholder: str, runtime: Runtime, model: Model, *, stock: bool):
        self.connection, self.runtime, self.model, self.stock = connection, runtime, model, stock
        self.update = f"UPDATE state SET json = {placeholder} WHERE id = 1"
        self.connection.execute("DROP TABLE IF EXISTS state")
        self.connection.execute("CREATE TABLE state (id INTEGER PRIMARY KEY, json TEXT NOT NULL)")
        self.connection.execute("INSERT INTO state VALUES (1, '{}')")
        self.connection.commit()

    @classmethod
    def sqlite(cls, path: Path, runtime: Runtime, model: Model, *, stock: bool) -> StepCommitReference:
        connection = sqlite3.connect(path)
        # Same durability settings the engine's SQLite connections use (engine/db.py).
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return cls(connection, "?", runtime, model, stock=stock)

    def dump(self, workflow: BpmnWorkflow) -> str:
        if self.stock:
            return self.runtime.serializer.dump_workflow_with_spec(workflow)
        return self.runtime.dump(workflow)

    def restore(self, saved: str) -> BpmnWorkflow:
        if not self.stock:
            return restore_bare(self.runtime, self.model, saved)
        workflow = self.runtime.serializer.load_workflow_with_spec(saved)
        workflow.script_engine = STOCK_ENGINE
        return workflow

    def put(self, workflow: BpmnWorkflow) -> None:
        """Save a workflow as the row's state (untimed set-up)."""
        self.connection.execute(self.update, (self.dump(workflow),))
        self.connection.commit()

    def step(self, task_id: Any, data: dict[str, Any]) -> BpmnWorkflow:
        """SELECT + restore + complete + serialize + UPDATE/COMMIT."""
        (saved,) = self.connection.execute("SELECT json FROM state WHERE id = 1").fetchone()
        workflow = self.restore(saved)
        complete_bare(workflow, workflow.get_task_from_id(task_id), data)
        self.connection.execute(self.update, (self.dump(workflow),))
        self.connection.commit()
        return workflow

    def timed_step(self, workflow: BpmnWorkflow, effective: bool = True) -> tuple[float, BpmnWorkflow]:
        """One timed step from the saved state; the caller's workflow only tells which task is next."""
        task = next_user_task(workflow)
        _, data = form_for(task.task_spec.bpmn_id, effective)
        started = time.perf_counter()
        workflow = self.step(task.id, data)
        return time.perf_counter() - started, workflow

    def happy_paths(self, count: int) -> list[float]:
        """Per-step seconds over `count` happy-path instances (one untimed warm-up first)."""
        seconds: list[float] = []
        for index in range(count + 1):
            workflow = start_bare(self.model, STOCK_ENGINE)
            self.put(workflow)
            run = []
            for _ in HAPPY_PATH:
                elapsed, workflow = self.timed_step(workflow)
                run.append(elapsed)
            assert workflow.is_completed()
            if index:
                seconds.extend(run)
        return seconds

    def close(self) -> None:
        self.connection.close()


# ---------------------------------------------------------------------------------------------
# The engine services


class EngineBackend:
    """A migrated, seeded database with the process deployed, driven through the services."""

    def __init__(self, label: str, url: str, runtime: Runtime):
        self.label, self.url, self.runtime = label, url, runtime
        migrate(url)
        self.db = Database(url)
        with self.db.transaction() as session:
            demo_users.load_demo_users(session)
            deployments.deploy_directory(session, directory=BPMN.parent, actor="admin", runtime=runtime)

    def start(self) -> int:
        """Start an instance with the start form data; its id."""
        with self.db.transaction() as session:
            return instances.start(session, process_id=PROCESS_ID, actor="zhao.staff",
                                   data=START_DATA, runtime=self.runtime).id

    def open_task(self, instance_id: int) -> HumanTask:
        """The instance's single open task row."""
        with self.db.reading() as session:
            (task,) = queries.open_tasks_of(session, instance_id)
            return task

    def complete_next(self, instance_id: int, effective: bool = True) -> float:
        """Complete the instance's open task in its own transaction; seconds incl. commit."""
        task = self.open_task(instance_id)
        actor, data = form_for(task.name, effective)

        def run() -> None:
            with self.db.transaction() as session:
                tasks.complete(session, task_id=task.id, actor=actor, data=data, runtime=self.runtime,
                               evidence_files=[EVIDENCE] if task.evidence_required else [])
        return timed(run)

    def happy_paths(self, count: int) -> list[float]:
        """Per-completion seconds over `count` happy-path instances (one untimed warm-up first)."""
        seconds: list[float] = []
        for index in range(count + 1):
            instance_id = self.start()
            run = [self.complete_next(instance_id) for _ in HAPPY_PATH]
            assert self.instance(instance_id).status == "completed"
            if index:
                seconds.extend(run)
        return seconds

    def drive(self, loops: int) -> int:
        """An instance taken round the not-effective loop `loops` times, waiting at analyse_cause."""
        instance_id = self.start()
        self.complete_next(instance_id)
        for _ in range(loops):
            for _name in LOOP:
                self.complete_next(instance_id, effective=False)
        assert self.open_task(instance_id).name == "analyse_cause"
        return instance_id

    def instance(self, instance_id: int) -> ProcessInstance:
        """The instance row as saved."""
        with self.db.reading() as session:
            found = session.get(ProcessInstance, instance_id)
            assert found is not None
            return found

    def close(self) -> None:
        self.db.dispose()


@contextmanager
def sqlite_backend(directory: Path, runtime: Runtime) -> Iterator[EngineBackend]:
    backend = EngineBackend("SQLite (WAL)", f"sqlite:///{directory / 'engine.db'}", runtime)
    try:
        yield backend
    finally:
        backend.close()


@contextmanager
def postgres_backend(admin_url: str, runtime: Runtime) -> Iterator[EngineBackend | str]:
    """A backend on a fresh throwaway database, or the reason PostgreSQL is unavailable."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"cf_bench_{os.getpid()}"
    try:
        with admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar()
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except SQLAlchemyError as exc:
        admin.dispose()
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        yield f"PostgreSQL unavailable at {admin_url}: {reason}"
        return
    backend = None
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        backend = EngineBackend(f"PostgreSQL {str(version).split()[0]}", url, runtime)
        yield backend
    finally:
        if backend is not None:
            backend.close()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ---------------------------------------------------------------------------------------------
# Section 1: one completion


def section_completion(model: Model, runtime: Runtime, references: dict[str, dict[str, StepCommitReference]],
                       backends: list[EngineBackend], reps: Reps) -> dict[str, Any]:
    """Per-completion times, bare and through the engine, and the engine / reference ratios.

    Each engine backend is compared with the references on the same database kind: the stock
    step (SpiffWorkflow's serializer, spec included) is the target's yardstick; the step with the
    spec by reference is shown too, as the stricter comparison.
    """
    rows = {
        "bare_default": bare_happy_paths(model, STOCK_ENGINE, reps.bare_instances),
        "bare_restricted": bare_happy_paths(model, make_script_engine(timezone=TIMEZONE), reps.bare_instances),
        "bare_isolated": bare_happy_paths(model, runtime.script_engine, reps.bare_instances),
    }
    for backend in backends:
        for kind, reference in references[backend.label].items():
            rows[f"{kind}:{backend.label}"] = reference.happy_paths(reps.bare_instances)
        rows[f"engine:{backend.label}"] = backend.happy_paths(reps.engine_instances)
    stats = {key: {"median_ms": ms(values), "mean_ms": mean_ms(values), "n": len(values)}
             for key, values in rows.items()}
    ratios = {backend.label: {kind: stats[f"engine:{backend.label}"]["median_ms"]
                              / stats[f"{kind}:{backend.label}"]["median_ms"]
                              for kind in references[backend.label]}
              for backend in backends}
    return {"stats": stats, "ratios": ratios}


# ---------------------------------------------------------------------------------------------
# Section 2: history growth round the loop


def section_loops(model: Model, runtime: Runtime, references: dict[str, StepCommitReference],
                  sqlite: EngineBackend, reps: Reps) -> dict[str, Any]:
    """State sizes and next-completion times after N not-effective loops, bare and on SQLite."""
    rows = [{"loops": loops, **bare_after_loops(model, runtime, references, loops, reps.loop_bare),
             **engine_after_loops(sqlite, loops, reps.loop_engine)} for loops in LOOP_COUNTS]
    return {"rows": rows, "growth": growth_per_loop(rows)}


def bare_after_loops(model: Model, runtime: Runtime, references: dict[str, StepCommitReference],
                     loops: int, reps: int) -> dict[str, Any]:
    """Saved sizes after `loops` loops, and the next completion bare and as step + commit."""
    workflow = drive_bare(model, STOCK_ENGINE, loops)
    by_reference = runtime.dump(workflow)
    with_spec = runtime.serializer.dump_workflow_with_spec(workflow)
    check_spec_by_reference(by_reference, with_spec)
    # Each repetition starts again from the same saved state (restoring is not timed here).
    bare = [timed_bare_completion(restore_bare(runtime, model, by_reference)) for _ in range(reps)]
    step_commit: dict[str, list[float]] = {kind: [] for kind in references}
    for _ in range(reps):
        for kind, reference in references.items():
            reference.put(workflow)
            step_commit[kind].append(reference.timed_step(workflow)[0])
    return {"bytes_by_reference": utf8_size(by_reference), "bytes_with_spec": utf8_size(with_spec),
            "bare_ms": ms(bare), "stock_step_commit_ms": ms(step_commit["stock"]),
            "bare_step_commit_ms": ms(step_commit["by_reference"]), "n_bare": reps}


def engine_after_loops(backend: EngineBackend, loops: int, reps: int) -> dict[str, Any]:
    """The next completion through the engine; each repetition drives its own instance there."""
    seconds, sizes = [], []
    for _ in range(reps):
        instance_id = backend.drive(loops)
        sizes.append(utf8_size(backend.instance(instance_id).state_json))
        seconds.append(backend.complete_next(instance_id))
    return {"bytes_engine_row": int(statistics.median(sizes)), "engine_sqlite_ms": ms(seconds),
            "n_engine": reps}


def check_spec_by_reference(by_reference: str, with_spec: str) -> None:
    """The saved state must name its spec, not contain it (and Spiff's default format must)."""
    # Raised explicitly rather than with assert, so that python -O still checks it.
    if '"task_specs"' in by_reference or not isinstance(json.loads(by_reference).get("spec"), str):
        raise AssertionError("spec-by-reference state contains the process spec")
    if '"task_specs"' not in with_spec:
        raise AssertionError("Spiff's default format has no task_specs: the check above proves nothing")


def growth_per_loop(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bytes added per loop between consecutive loop counts (equal values mean linear growth)."""
    growth = []
    for before, after in zip(rows, rows[1:], strict=False):
        loops = after["loops"] - before["loops"]
        growth.append({
            "from": before["loops"], "to": after["loops"],
            "by_reference": (after["bytes_by_reference"] - before["bytes_by_reference"]) / loops,
            "with_spec": (after["bytes_with_spec"] - before["bytes_with_spec"]) / loops,
        })
    return growth


# ---------------------------------------------------------------------------------------------
# Section 3: inbox query


def seed_open_tasks(backend: EngineBackend, first: int, count: int, rng: random.Random) -> float:
    """Bulk-insert `count` open task rows spread over roles, assignees, departments, due dates."""
    with backend.db.reading() as session:
        definition_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == PROCESS_ID))
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    with backend.db.transaction() as session:
        # A few instances own all the rows: the inbox query never joins them.
        instance_ids = list(session.scalars(insert(ProcessInstance).returning(ProcessInstance.id), [
            {"definition_id": definition_id, "process_id": PROCESS_ID, "business_key": f"bench-{first}-{i}",
             "status": "running", "state_json": "{}", "data": {}, "started_by": "admin",
             "started_at": now, "updated_at": now, "version": 1} for i in range(max(1, count // 1000))]))
        rows = [synthetic_task(first + i, rng.choice(instance_ids), now, rng) for i in range(count)]
        # render_nulls keeps rows with different None columns in one batch; without it the ORM
        # splits the batch by which keys are None and inserts ~4x slower on PostgreSQL.
        bulk = insert(HumanTask).execution_options(render_nulls=True)
        for chunk in range(0, count, 10_000):
            session.execute(bulk, rows[chunk:chunk + 10_000])
        task_counts.recount(session)  # the bulk insert went past the ORM, which keeps these counts
    if not backend.db.is_sqlite:
        # What autovacuum does within a minute; without statistics the planner takes the table for
        # empty, and whether autovacuum ran before the timing would decide the result.
        with backend.db.transaction() as session:
            session.execute(text("ANALYZE human_tasks"))
    return time.perf_counter() - started


# Share of open tasks per lane role, and who they may go to: an inbox dominated by staff work.
ROLE_WEIGHTS = {"carbon_staff": 35, "department_head": 30, "carbon_body": 15, "internal_auditor": 10,
                "document_controller": 5, "top_management": 5}
DEPARTMENTS = [*demo_users.DEPARTMENTS, *(f"dept_{n:02d}" for n in range(20))]
ASSIGNEES = [f"user{n:04d}" for n in range(500)]
TASK_NAMES = list(HAPPY_PATH)


def synthetic_task(index: int, instance_id: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    """One open task row; about 0.2 % are assigned to the benchmarked user."""
    role = rng.choices(list(ROLE_WEIGHTS), weights=list(ROLE_WEIGHTS.values()))[0]
    pick = rng.random()
    assignee = INBOX_USER if pick < 0.002 else rng.choice(ASSIGNEES) if pick < 0.4 else None
    department = (rng.choice(DEPARTMENTS) if assignee is None and role in ("department_head", "carbon_staff")
                  and rng.random() < 0.8 else None)
    due = None if rng.random() < 0.1 else now + timedelta(hours=rng.uniform(-30 * 24, 60 * 24))
    name = rng.choice(TASK_NAMES)
    return {
        "instance_id": instance_id, "process_id": PROCESS_ID, "spiff_task_id": f"bench-{index:08d}",
        "name": name, "title": name,
        "title_en": None, "role": role, "candidate_user": None, "candidate_department": department,
        "excluded_users": [], "assignee": assignee, "form_key": f"{PROCESS_ID}.{name}", "clauses": None,
        "documentation": None, "due_at": due, "sort_due_at": due or NO_DUE_DATE, "priority": 2, "status": TaskStatus.READY.value,
        "created_at": now, "version": 1,
    }


def time_inbox(backend: EngineBackend, scope: str, runs: int) -> tuple[list[float], int]:
    """Seconds per tasks_for_user call, each in a fresh session like a request; and rows returned."""
    seconds, returned = [], 0
    for _ in range(runs + 1):  # the first run warms caches and is dropped
        with backend.db.reading() as session:
            user = people.get_actor(session, INBOX_USER)
            started = time.perf_counter()
            found = queries.tasks_for_user(session, user, scope=scope, limit=50)  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - started)
            returned = len(found)
    return seconds[1:], returned


def section_inbox(backends: list[EngineBackend], reps: Reps) -> list[dict[str, Any]]:
    results = []
    for backend in backends:
        rng, seeded = random.Random(42), 0
        for size in INBOX_SIZES:
            inserted = size - seeded
            insert_seconds = seed_open_tasks(backend, seeded, inserted, rng)
            seeded = size
            for scope in ("all", "candidate"):
                seconds, returned = time_inbox(backend, scope, reps.inbox_runs)
                results.append({"backend": backend.label, "open_tasks": size, "scope": scope,
                                "median_ms": ms(seconds), "max_ms": max(seconds) * 1000, "rows": returned,
                                "inserted": inserted, "insert_s": insert_seconds, "n": len(seconds)})
    return results


# ---------------------------------------------------------------------------------------------
# Output


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """Plain-text table: text columns left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(row, widths, numeric, strict=True)).rstrip()
    return "\n".join([line(cells[0]), line(["-" * w for w in widths]), *map(line, cells[1:])])


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def progress(message: str) -> None:
    """Where the run is, on stderr, so a long run shows signs of life without disturbing --json."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def render(results: dict[str, Any]) -> str:
    out = [f"CarbonFlow engine benchmark ({results['mode']}; Python {sys.version.split()[0]}, "
           f"{os.cpu_count()} CPUs, {results['seconds']:.0f} s)", ""]
    out += render_completion(results["completion"])
    out += render_loops(results["loops"])
    out += render_inbox(results["inbox"])
    out += [f"note: {note}" for note in results["notes"]]
    return "\n".join(out)


LABELS = {
    "bare_default": "bare SpiffWorkflow in memory, Spiff's own script engine",
    "bare_restricted": "bare SpiffWorkflow in memory, CarbonFlow's restricted engine in-process",
    "bare_isolated": "bare SpiffWorkflow in memory, CarbonFlow's script worker process",
    "stock": "bare step + one commit, Spiff's serializer (spec in state)",
    "by_reference": "bare step + one commit, spec by reference",
    "engine": "engine tasks.complete, own transaction",
}


def variant_label(key: str) -> str:
    kind, _, backend = key.partition(":")
    return f"{LABELS[kind]}, {backend}" if backend else LABELS[kind]


def render_completion(section: dict[str, Any]) -> list[str]:
    rows = [[variant_label(key), s["median_ms"], s["mean_ms"], s["n"]] for key, s in section["stats"].items()]
    out = ["1. One user-task completion, corrective action happy path (5 tasks per instance)",
           table(["variant", "median ms", "mean ms", "n"], rows)]
    for label, ratios in section["ratios"].items():
        stock, by_reference = ratios["stock"], ratios["by_reference"]
        out.append(f"   {label}: engine / stock bare step + one commit = {stock:.1f}x "
                   f"(target <= {TARGET_RATIO:.0f}x: {verdict(stock <= TARGET_RATIO)}); "
                   f"engine / spec-by-reference step + commit = {by_reference:.1f}x")
    return out + [""]


def render_loops(section: dict[str, Any]) -> list[str]:
    rows = [[r["loops"], r["bytes_by_reference"], r["bytes_with_spec"], r["bytes_engine_row"],
             r["bare_ms"], r["stock_step_commit_ms"], r["bare_step_commit_ms"], r["engine_sqlite_ms"],
             r["engine_sqlite_ms"] / r["stock_step_commit_ms"], r["engine_sqlite_ms"] / r["bare_step_commit_ms"]]
            for r in section["rows"]]
    out = ["2. After N trips round the not-effective loop: saved state and completing the next task "
           "(analyse_cause); medians",
           table(["loops", "by-ref B", "with spec B", "engine row B", "bare ms", "stock+commit ms",
                  "by-ref+commit ms", "engine SQLite ms", "engine/stock", "engine/by-ref"], rows)]
    for g in section["growth"]:
        out.append(f"   growth {g['from']}->{g['to']} loops: {g['by_reference']:,.0f} B/loop by reference, "
                   f"{g['with_spec']:,.0f} B/loop with spec")
    rates = [g["by_reference"] for g in section["growth"]]
    linear = max(rates) - min(rates) <= 0.01 * max(rates)
    out.append(f"   growth is linear (per-loop rates within 1 %): {'yes' if linear else 'NO'}; "
               "spec-by-reference state has no \"task_specs\" and names its spec: checked")
    return out + [""]


def render_inbox(section: list[dict[str, Any]]) -> list[str]:
    rows = [[r["backend"], r["open_tasks"], r["scope"], r["median_ms"], r["max_ms"], r["rows"],
             verdict(r["median_ms"] < TARGET_INBOX_MS) if r["open_tasks"] == max(INBOX_SIZES) else ""]
            for r in section]
    out = [f"3. Inbox: queries.tasks_for_user({INBOX_USER}, limit=50), fresh session per run",
           table(["backend", "open tasks", "scope", "median ms", "max ms", "rows",
                  f"< {TARGET_INBOX_MS:.0f} ms"], rows)]
    seeded = {(r["backend"], r["inserted"]): r["insert_s"] for r in section}
    out.append("   bulk insert: " + ", ".join(f"{b} +{n:,} rows in {s:.1f} s" for (b, n), s in seeded.items()))
    out.append("   PostgreSQL tables are ANALYZEd after the insert (as autovacuum would); SQLite is not "
               "(nothing in CarbonFlow runs ANALYZE)")
    return out + [""]


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    reps = QUICK if options.quick else FULL
    started = time.perf_counter()
    runtime = Runtime(timezone_name=TIMEZONE)
    model = parse_model()
    results: dict[str, Any] = {"mode": "quick" if options.quick else "full", "notes": []}
    with tempfile.TemporaryDirectory(prefix="cf_bench_") as tmp, \
            sqlite_backend(Path(tmp), runtime) as sqlite, \
            maybe_postgres(options, runtime) as postgres:
        backends = [sqlite]
        if isinstance(postgres, EngineBackend):
            backends.append(postgres)
        else:
            results["notes"].append(f"{postgres}; PostgreSQL rows skipped")
        references = {backend.label: reference_pair(backend, Path(tmp), runtime, model) for backend in backends}
        try:
            progress("section 1: one completion")
            results["completion"] = section_completion(model, runtime, references, backends, reps)
            progress("section 2: loops")
            results["loops"] = section_loops(model, runtime, references[sqlite.label], sqlite, reps)
        finally:
            for pair in references.values():
                for reference in pair.values():
                    reference.close()
        progress("section 3: inbox")
        results["inbox"] = section_inbox(backends, reps)
    results["seconds"] = time.perf_counter() - started
    print(json.dumps(results, indent=2) if options.json else render(results))
    return 0


def reference_pair(backend: EngineBackend, tmp: Path, runtime: Runtime,
                   model: Model) -> dict[str, StepCommitReference]:
    """Stock and spec-by-reference step+commit references on the backend's kind of database."""
    if backend.db.is_sqlite:
        return {kind: StepCommitReference.sqlite(tmp / f"reference_{kind}.db", runtime, model,
                                                 stock=kind == "stock")
                for kind in ("stock", "by_reference")}
    # psycopg connections to the backend's own (throwaway) database, table per reference.
    return {kind: StepCommitReference(_pg_connection(backend, kind), "%s", runtime, model, stock=kind == "stock")
            for kind in ("stock", "by_reference")}


def _pg_connection(backend: EngineBackend, kind: str) -> Any:
    import psycopg
    url = make_url(backend.url)
    connection = psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database)
    connection.execute(f'CREATE SCHEMA IF NOT EXISTS ref_{kind}')
    connection.execute(f'SET search_path TO ref_{kind}')
    connection.commit()
    return connection


@contextmanager
def maybe_postgres(options: argparse.Namespace, runtime: Runtime) -> Iterator[EngineBackend | str]:
    if options.no_pg:
        yield "PostgreSQL not requested (--no-pg)"
        return
    with postgres_backend(options.pg_admin_url, runtime) as backend:
        yield backend


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL,
                        help="database to connect to for creating the throwaway one (default: %(default)s)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
