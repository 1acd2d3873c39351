"""The records of other instances a process may gather: declared, read-only queries the engine answers.

A BPMN service task names one of ``QUERIES`` as its operator and passes its parameters (expressions over the
task data); the answer lands in the task's ``resultVariable`` as plain data, each record with its
``instance_id`` and ``title`` so that what is built from it can point back to it. The engine evaluates the
query in the session of the step that runs the task (scripts never touch the database), and remembers which
instances were read, so the step links them to the instance that read them (see ``progress.save``).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from engine.bpmn.gathering import bind
from engine.models import InstanceStatus, ProcessInstance
from engine.read import nonconformities

# The kind of the link from a gathered record to the instance that read it: "input:<query>".
LINK_PREFIX = "input:"
COMPLETED = InstanceStatus.COMPLETED.value
RUNNING = InstanceStatus.RUNNING.value


@dataclass
class Gatherer:
    """Answers a workflow's service tasks in one session and remembers what each read."""

    session: Session
    read: list[tuple[str, dict[str, Any], list[int]]] = field(default_factory=list)

    def __call__(self, name: str, params: Mapping[str, Any]) -> Any:
        query = QUERIES.get(name)
        if query is None:
            raise ValueError(f"no query named {name!r}")
        sources: list[int] = []
        answer = query.run(self.session, sources, **query.arguments(params))
        self.read.append((name, dict(params), sources))
        return answer

    def taken(self) -> list[tuple[str, dict[str, Any], list[int]]]:
        """What was gathered since the last call, emptied."""
        read, self.read = self.read, []
        return read


def bind_to(workflow: Any, session: Session) -> Any:
    """The workflow, its service tasks gathering in this session."""
    return bind(workflow, Gatherer(session))


@dataclass(frozen=True)
class Query:
    """A named read-only query: what it reads, its parameters and how to run it."""

    name: str
    about: str
    params: tuple[str, ...]
    run: Callable[..., Any]

    def arguments(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters as the query takes them (a year is a whole number from 2000 to 2100)."""
        arguments = {}
        for name in self.params:
            value = params.get(name)
            if name == "year":
                try:
                    value = int(str(value))
                except ValueError:
                    raise ValueError(f"{self.name}: year must be a whole number, not {value!r}") from None
                if not 2000 <= value <= 2100:
                    raise ValueError(f"{self.name}: year {value} is out of range 2000-2100")
            arguments[name] = value
        return arguments


def _instances(session: Session, process_id: str, *, status: str | None = None, ended_in: int | None = None,
               newest_first: bool = True) -> list[ProcessInstance]:
    query = select(ProcessInstance).where(ProcessInstance.process_id == process_id)
    if status is not None:
        query = query.where(ProcessInstance.status == status)
    if ended_in is not None:
        query = query.where(extract("year", ProcessInstance.ended_at) == ended_in)
    order = ProcessInstance.ended_at.desc() if status == COMPLETED else ProcessInstance.started_at.desc()
    query = query.order_by(order, ProcessInstance.id.desc()) if newest_first else query.order_by(ProcessInstance.id)
    return list(session.scalars(query))


def _record(instance: ProcessInstance, sources: list[int], **facts: Any) -> dict[str, Any]:
    sources.append(instance.id)
    return {"instance_id": instance.id, "title": instance.title or "", "ended_on": _day(instance.ended_at),
            **facts}


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def internal_audits(session: Session, sources: list[int], *, year: int) -> list[dict[str, Any]]:
    """The internal audits completed in the year, with their conclusion and nonconformity count."""
    return [_record(audit, sources, record_number=audit.data.get("record_number", ""),
                    audit_start=audit.data.get("audit_start"),
                    conclusion=audit.data.get("overall_conclusion", ""),
                    summary=audit.data.get("report_summary", ""),
                    nonconformity_count=int(audit.data.get("nonconformity_count") or 0))
            for audit in _instances(session, "internal_audit", status=COMPLETED, ended_in=year)]


def nonconformity_cases(session: Session, sources: list[int], *, year: int) -> dict[str, list[dict[str, Any]]]:
    """The nonconformities still open, and those closed in the year, as the register states them."""
    rows = nonconformities.register(session)
    opened = [row for row in rows if row.status in nonconformities.OPEN_STATUSES]
    closed = [row for row in rows if row.closed_at is not None and row.closed_at.year == year]

    def case(row: nonconformities.Nonconformity) -> dict[str, Any]:
        sources.append(row.instance_id)
        return {"instance_id": row.instance_id, "title": row.title, "clause": row.clause,
                "department": row.department, "status": row.status,
                "due": row.due.isoformat() if row.due else None, "closed_on": _day(row.closed_at)}
    return {"open": [case(row) for row in opened], "closed": [case(row) for row in closed]}


def baseline_in_force(session: Session, sources: list[int]) -> dict[str, Any] | None:
    """The baseline the newest completed adjustment left in force, approved or confirmed (None when none did)."""
    for adjustment in _instances(session, "baseline_adjustment", status=COMPLETED):
        record = adjustment.data.get("baseline_record") or {}
        if record.get("baseline_in_force"):
            return _record(adjustment, sources, baseline=record["baseline_in_force"],
                           effective_from=record.get("effective_from"),
                           method=record.get("recalculation_method", ""))
    return None


def latest_compliance_evaluation(session: Session, sources: list[int]) -> dict[str, Any] | None:
    """The newest completed compliance evaluation, with its conclusion."""
    for evaluation in _instances(session, "compliance_reevaluation", status=COMPLETED):
        return _record(evaluation, sources, conclusion=evaluation.data.get("conclusion", ""),
                       approved=bool(evaluation.data.get("report_approved")),
                       noncompliant=[e.get("requirement", "") for e in evaluation.data.get("evaluations") or []
                                     if e.get("status") == "noncompliant"])
    return None


def emissions_accounting(session: Session, sources: list[int], *, year: int) -> dict[str, Any] | None:
    """The emissions accounting completed in the year (the newest), with the enterprise's totals."""
    for accounting in _instances(session, "emissions_accounting", status=COMPLETED, ended_in=year):
        results = accounting.data.get("accounting_results") or {}
        enterprise = results.get("enterprise") or {}
        return _record(accounting, sources, reporting_year=accounting.data.get("reporting_year"),
                       emissions=enterprise.get("emissions"), intensity=enterprise.get("intensity"),
                       intensity_unit=enterprise.get("intensity_unit"),
                       previous_year_emissions=accounting.data.get("previous_year_emissions"),
                       analysis=accounting.data.get("results_analysis", ""))
    return None


def previous_management_review(session: Session, sources: list[int]) -> dict[str, Any] | None:
    """The newest completed management review, with its conclusion and the actions it decided."""
    for review in _instances(session, "management_review", status=COMPLETED):
        return _record(review, sources, held_on=review.data.get("held_on"),
                       conclusion=review.data.get("review_conclusion", ""),
                       actions=[{"action_title": a.get("action_title", ""), "owner": a.get("owner", ""),
                                 "due_on": a.get("due_on")} for a in review.data.get("improvement_actions") or []])
    return None


def management_review_inputs(session: Session, sources: list[int], *, year: int) -> dict[str, Any]:
    """Everything a management review of the year reads (9.3.1 a-e), each part as its own query answers it."""
    return {"year": year, "previous_review": previous_management_review(session, sources),
            "baseline": baseline_in_force(session, sources),
            "accounting": emissions_accounting(session, sources, year=year),
            "nonconformities": nonconformity_cases(session, sources, year=year),
            "compliance_evaluation": latest_compliance_evaluation(session, sources),
            "internal_audits": internal_audits(session, sources, year=year)}


QUERIES: dict[str, Query] = {query.name: query for query in (
    Query("internal_audits", "the internal audits completed in a year", ("year",), internal_audits),
    Query("nonconformities", "the open nonconformities and those closed in a year", ("year",), nonconformity_cases),
    Query("baseline_in_force", "the baseline in force", (), baseline_in_force),
    Query("latest_compliance_evaluation", "the latest compliance evaluation", (), latest_compliance_evaluation),
    Query("emissions_accounting", "the emissions accounting completed in a year", ("year",), emissions_accounting),
    Query("previous_management_review", "the latest completed management review", (), previous_management_review),
    Query("management_review_inputs", "all of the above for a management review of a year", ("year",),
          management_review_inputs),
)}
# What deploy checks a service task against: each query's parameter names.
PARAMETERS: dict[str, tuple[str, ...]] = {name: query.params for name, query in QUERIES.items()}
