"""Clause coverage: for every clause of the guideline, the tasks that satisfy it and the records kept.

The clause map (``engine/guideline/clause-map.en.md``, a copy of the guideline's English map) lists
the clauses; each deployed user task names the clauses it satisfies in its ``clauses`` property;
completed instances whose tasks carry a clause are that clause's records.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn import runtime as rt
from engine.bpmn.parsing import task_properties
from engine.models import HumanTask, InstanceStatus, ProcessInstance, TaskStatus
from engine.read import nonconformities
from engine.read.definitions import latest_definitions
from engine.read.nonconformities import RaisedCase

CLAUSE_MAP = Path(__file__).resolve().parent.parent / "guideline" / "clause-map.en.md"
_ROW = re.compile(r"^\|\s*(\d[^|]*?)\s*\|\s*([^|]*?)\s*\|\s*([^|]*?)\s*\|\s*$")
_TASK_CLAUSE = re.compile(r"^(\d+(?:\.\d+)*)([a-g]?)$")


@dataclass(frozen=True)
class Clause:
    """One row of the clause map: its label (``8.4.1 a–e, 8.4.2``), the numbers it spans, its subject."""

    label: str
    numbers: tuple[str, ...]
    subject: str
    requirement: str
    records_required: bool


@lru_cache(maxsize=1)
def clause_map() -> tuple[Clause, ...]:
    """The clauses of the guideline, in the map's order."""
    rows = []
    for line in CLAUSE_MAP.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            label, subject, requirement = match.groups()
            rows.append(Clause(label, _numbers(label), subject, requirement, "(R)" in requirement))
    return tuple(rows)


def _numbers(label: str) -> tuple[str, ...]:
    """``5.1.1–5.1.3`` -> 5.1.1, 5.1.2, 5.1.3; ``8.4.1 a–e, 8.4.2`` -> 8.4.1, 8.4.2; ``4.2 a–d`` -> 4.2."""
    numbers: list[str] = []
    for part in label.split(","):
        first = part.strip().split(" ")[0]
        if "–" in first:
            low, high = first.split("–")
            stem, start = low.rsplit(".", 1)
            end = high.rsplit(".", 1)[1]
            numbers.extend(f"{stem}.{n}" for n in range(int(start), int(end) + 1))
        else:
            numbers.append(first)
    return tuple(numbers)


def clause_number(task_clause: str) -> str | None:
    """The clause number a task's clause names (``6.1.3b`` -> ``6.1.3``); None if it is not one."""
    match = _TASK_CLAUSE.match(task_clause.strip())
    return match.group(1) if match else None


def _row_of(number: str) -> Clause | None:
    for clause in clause_map():
        if any(number == n or number.startswith(n + ".") for n in clause.numbers):
            return clause
    return None


def coverage(session: Session, *, since: datetime | None = None, until: datetime | None = None,
             runtime: rt.Runtime | None = None) -> dict[str, Any]:
    """Which deployed task covers each clause, and which completed instances hold its records in the period."""
    runtime = runtime or rt.shared_runtime()
    covering, unknown = _covering_tasks(session, runtime)
    records = _records(session, since, until)
    rows = []
    for clause in clause_map():
        rows.append({
            "clause": clause.label, "numbers": list(clause.numbers), "subject": clause.subject,
            "records_required": clause.records_required,
            "covered_by": covering.get(clause.label, []),
            "records": sorted(records.get(clause.label, {}).values(), key=lambda r: r["instance_id"]),
        })
    required = [r for r in rows if r["records_required"]]
    return {
        "period": {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None},
        "clauses": rows,
        "unknown_task_clauses": unknown,
        "summary": {
            "clauses": len(rows), "covered": sum(1 for r in rows if r["covered_by"]),
            "records_required": len(required),
            "records_required_uncovered": [r["clause"] for r in required if not r["covered_by"]],
            "uncovered": [r["clause"] for r in rows if not r["covered_by"]],
        },
    }


def _covering_tasks(session: Session, runtime: rt.Runtime) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    covering: dict[str, list[dict[str, Any]]] = defaultdict(list)
    unknown = []
    for definition in latest_definitions(session):
        spec, subprocess_specs = runtime.specs(definition.content_hash, lambda d=definition: d.spec_json)
        for each in [spec, *subprocess_specs.values()]:
            for task_spec in sorted(each.task_specs.values(), key=lambda t: t.bpmn_id or ""):
                names = [c.strip() for c in task_properties(task_spec).get("clauses", "").split(",") if c.strip()]
                for name in names:
                    number = clause_number(name)
                    clause = _row_of(number) if number else None
                    entry = {"process_id": definition.process_id, "version": definition.version,
                             "task": task_spec.bpmn_id, "title": task_spec.bpmn_name, "clause": name}
                    if clause is None:
                        unknown.append(entry)
                    else:
                        covering[clause.label].append(entry)
    return covering, unknown


def _records(session: Session, since: datetime | None, until: datetime | None) -> dict[str, dict[int, dict[str, Any]]]:
    """Completed instances per clause label, from the clauses of the tasks completed in them."""
    query = (select(HumanTask.instance_id, HumanTask.clauses, HumanTask.id, ProcessInstance.process_id,
                    ProcessInstance.business_key, ProcessInstance.ended_at)
             .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
             .where(ProcessInstance.status == InstanceStatus.COMPLETED.value,
                    HumanTask.status == TaskStatus.COMPLETED.value, HumanTask.clauses.is_not(None)))
    if since is not None:
        query = query.where(ProcessInstance.ended_at >= since)
    if until is not None:
        query = query.where(ProcessInstance.ended_at < until)
    found: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for instance_id, clauses, task_id, process_id, business_key, ended_at in session.execute(query):
        for name in clauses.split(","):
            number = clause_number(name)
            clause = _row_of(number) if number else None
            if clause is None:
                continue
            record = found[clause.label].setdefault(instance_id, {
                "instance_id": instance_id, "process_id": process_id, "business_key": business_key,
                "completed_at": ended_at.isoformat() if ended_at else None, "tasks": []})
            if task_id not in record["tasks"]:
                record["tasks"].append(task_id)
    return found


@dataclass(frozen=True)
class RecordStep:
    """A completed task that made (part of) a record: what, who and when."""

    task_id: int
    title: str
    title_en: str | None
    completed_by: str | None
    completed_at: datetime | None


@dataclass(frozen=True)
class ClauseRecord:
    """An instance holding records for a clause, with the steps that wrote them."""

    instance_id: int
    process_id: str
    business_key: str | None
    instance_status: str
    steps: tuple[RecordStep, ...]
    raised: tuple[RaisedCase, ...] = ()
    title: str | None = None


@dataclass(frozen=True)
class ClauseRecords:
    clause: Clause
    records: tuple[ClauseRecord, ...]


def records_by_clause(session: Session, *, since: datetime | None = None,
                      until: datetime | None = None) -> list[ClauseRecords]:
    """For every clause that requires records (R), the instances that made them in [since, until).

    An instance holds a clause's records once a step carrying that clause is done in the period
    (the audit's records are filed); the record is then the instance's every completed step (the
    programme, the results) and the nonconformities it raised.
    """
    query = (select(HumanTask.instance_id, HumanTask.clauses)
             .where(HumanTask.status == TaskStatus.COMPLETED.value, HumanTask.clauses.is_not(None)))
    if since is not None:
        query = query.where(HumanTask.completed_at >= since)
    if until is not None:
        query = query.where(HumanTask.completed_at < until)
    held: dict[str, set[int]] = defaultdict(set)
    for instance_id, task_clauses in session.execute(query):
        for clause in _clauses_of(task_clauses):
            if clause.records_required:
                held[clause.label].add(instance_id)
    everyone = {i for ids in held.values() for i in ids}
    records = _records_of(session, everyone)
    return [ClauseRecords(clause, tuple(records[i] for i in sorted(held.get(clause.label, ()))))
            for clause in clause_map() if clause.records_required]


def _records_of(session: Session, instance_ids: set[int]) -> dict[int, ClauseRecord]:
    """Each instance with its completed steps in order and the nonconformities it raised."""
    if not instance_ids:
        return {}
    facts = {row.id: row for row in session.execute(
        select(ProcessInstance.id, ProcessInstance.process_id, ProcessInstance.business_key, ProcessInstance.status,
               ProcessInstance.title).where(ProcessInstance.id.in_(instance_ids)))}
    steps: dict[int, list[RecordStep]] = defaultdict(list)
    for task in session.scalars(select(HumanTask).where(HumanTask.instance_id.in_(instance_ids),
                                                        HumanTask.status == TaskStatus.COMPLETED.value)
                                .order_by(HumanTask.completed_at, HumanTask.id)):
        steps[task.instance_id].append(
            RecordStep(task.id, task.title, task.title_en, task.completed_by, task.completed_at))
    raised = nonconformities.raised_from(session, instance_ids)
    return {i: ClauseRecord(i, facts[i].process_id, facts[i].business_key, facts[i].status, tuple(steps[i]),
                            raised.get(i, ()), facts[i].title) for i in instance_ids}


def _clauses_of(task_clauses: str) -> list[Clause]:
    numbers = (clause_number(name) for name in task_clauses.split(","))
    return [row for row in (_row_of(n) for n in numbers if n) if row is not None]
