"""The nonconformity register as a table, one nonconformity's trace and the records by clause as PDFs."""
from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.read import access, clauses, nonconformities
from engine.read.exports.documents import Moment, Section, sections_pdf, timeline_pdf
from engine.read.exports.formats import Column, Table
from engine.read.exports.period import ReportingPeriod
from engine.read.exports.statement import statement
from engine.read.nonconformities import Nonconformity, NonconformityFilter
from engine.read.nonconformity_trace import TraceStep, trace

REGISTER_COLUMNS = (
    Column("instance_id", "instance", 0.45), Column("business_key", "business key", 0.8),
    Column("title", "title", 1.8), Column("source", "source", 0.9), Column("clause", "clause", 0.45),
    Column("severity", "severity", 0.5), Column("department", "department", 0.7), Column("owner", "owner", 0.7),
    Column("detected_on", "detected on", 0.65), Column("due", "due", 0.65), Column("status", "status", 0.6),
    Column("age_days", "age (days)", 0.45), Column("closed_at", "closed at (local)", 0.9),
    Column("raised_by", "raised by", 0.9),
)
RECORD_COLUMNS = (
    Column("instance_id", "instance", 0.5), Column("process_id", "process", 1.0),
    Column("business_key", "business key, title", 1.4), Column("status", "status", 0.6),
    Column("steps", "steps (who, when)", 3.6), Column("raised", "nonconformities raised", 1.4),
)


def register_rows(ncs: list[Nonconformity], zone: ZoneInfo) -> list[dict[str, object]]:
    """One row per nonconformity, as the register page and its exports show it."""
    return [{"instance_id": nc.instance_id, "business_key": nc.business_key, "title": nc.title,
             "source": nc.source, "clause": nc.clause, "severity": nc.severity, "department": nc.department,
             "owner": nc.owner, "detected_on": nc.detected_on.isoformat(), "due": nc.due.isoformat() if nc.due else "",
             "status": nc.status, "age_days": nc.age_days, "closed_at": _local(nc.closed_at, zone),
             "raised_by": f"{nc.raised_by.process_id} #{nc.raised_by.instance_id}" if nc.raised_by else ""}
            for nc in ncs]


def register_table(session: Session, *, period: ReportingPeriod, where: NonconformityFilter, by: str) -> Table:
    """The register of nonconformities raised in the period that pass the filter."""
    access.require_oversight(session, by, "the nonconformity register")
    ncs = nonconformities.register(session, where=replace(where, since=period.since, until=period.until))
    filters = ", ".join(f"{name} = {value}" for name, value in asdict(where).items()
                        if value and name not in ("since", "until"))
    return Table("CarbonFlow nonconformity register", REGISTER_COLUMNS, register_rows(ncs, period.zone),
                 statement(session, holds=f"{len(ncs)} nonconformities (raised in the period)",
                           period=period.label, filters=filters, by=by, zone=period.zone))


def trace_pdf(session: Session, instance_id: int, *, by: str, zone: ZoneInfo) -> tuple[bytes, int]:
    """One nonconformity's facts and its whole timeline, for reading offline; (PDF, how many moments)."""
    access.require_oversight(session, by, "a nonconformity's trace")
    found = trace(session, instance_id)
    if found is None:
        raise NotFound(f"instance {instance_id} is not a nonconformity (a corrective action)")
    nc = found.nonconformity
    facts = [("Nonconformity", f"#{nc.instance_id} {nc.business_key or ''} {nc.title}"),
             ("Source · clause", f"{nc.source} · {nc.clause}"), ("Severity", nc.severity or "not assessed yet"),
             ("Department · owner", f"{nc.department} · {nc.owner or 'not named yet'}"),
             ("Detected on · due", f"{nc.detected_on} · {nc.due or 'not planned yet'}"),
             ("Status", f"{nc.status} (age {nc.age_days} days, review rounds {nc.review_rounds}, "
                        f"overdue {nc.overdue_rounds} times)"),
             ("Raised by", f"{nc.raised_by.process_id} #{nc.raised_by.instance_id} {nc.raised_by.business_key or ''}"
              if nc.raised_by else f"{nc.raised_by_user} (by hand)")]
    moments = [_moment(step, zone) for step in found.steps]
    head = statement(session, holds=f"the trace of nonconformity #{nc.instance_id}: {len(moments)} moments",
                     period="its whole life", filters="", by=by, zone=zone)
    return timeline_pdf(f"CarbonFlow nonconformity trace #{nc.instance_id}", head, facts, moments), len(moments)


def records_pdf(session: Session, *, period: ReportingPeriod, by: str) -> tuple[bytes, int]:
    """Every clause that requires records, with the instances that made them in the period; (PDF, records)."""
    access.require_oversight(session, by, "the records by clause")
    held = clauses.records_by_clause(session, since=period.since, until=period.until)
    sections = [Section(f"{c.clause.label} {c.clause.subject}", RECORD_COLUMNS,
                        record_rows(c.records, period.zone), note=c.clause.requirement) for c in held]
    count = sum(len(c.records) for c in held)
    head = statement(session, holds=f"{count} records for {len(held)} clauses marked (R)", period=period.label,
                     filters="", by=by, zone=period.zone)
    return sections_pdf("CarbonFlow records by clause", head, sections), count


def record_rows(records: tuple[clauses.ClauseRecord, ...], zone: ZoneInfo) -> list[dict[str, str]]:
    return [{"instance_id": str(r.instance_id), "process_id": r.process_id,
             "business_key": "\n".join(part for part in (r.business_key, r.title) if part),
             "status": r.instance_status,
             "steps": "\n".join(f"{s.title_en or s.title} — {s.completed_by}, {_local(s.completed_at, zone)}"
                                for s in r.steps),
             "raised": "\n".join(f"#{c.instance_id} {c.business_key or ''} ({c.status})" for c in r.raised)}
            for r in records]


def _moment(step: TraceStep, zone: ZoneInfo) -> Moment:
    what = f"{step.title_en} / {step.title_zh}"
    if step.round:
        what += f" (round {step.round})"
    if step.effective is not None:
        what += ": effective" if step.effective else ": NOT effective"
    details = [f"{line.label_en}: {line.value_en}" for line in step.lines]
    details += [f"Evidence: {f.file_name} ({f.size} bytes, sha256 {f.sha256}) uploaded by {f.uploaded_by}"
                for f in step.evidence]
    if step.due_at is not None:
        details.append(f"Due: {_local(step.due_at, zone)}")
    when = _local(step.at, zone) if step.at else "open"
    return Moment(when, step.actor or "(role)", what, details)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""
