"""The nonconformity register as a table, one nonconformity's trace and the records by clause as PDFs, in Chinese
(the default) or English, with names instead of codes."""
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
from engine.read.exports.words import filter_line, word
from engine.read.labels import Labels, labels
from engine.read.nonconformities import Nonconformity, NonconformityFilter
from engine.read.nonconformity_trace import TraceStep, trace
from forms.describe import Line, choice_labels

REGISTER_HEADINGS = (
    ("instance_id", "编号", "Instance", 0.45), ("business_key", "业务编号", "Business key", 0.8),
    ("title", "标题", "Title", 1.5), ("source", "来源", "Source", 0.8), ("clause", "条款", "Clause", 0.8),
    ("severity", "严重程度", "Severity", 0.6), ("department", "部门", "Department", 0.7),
    ("owner", "负责人", "Owner", 0.7), ("detected_on", "发现日期", "Detected on", 0.75),
    ("due", "到期日", "Due", 0.75), ("status", "状态", "Status", 0.6), ("age_days", "时长（天）", "Age (days)", 0.5),
    ("closed_at", "关闭时间", "Closed at (local)", 0.9), ("raised_by", "提出于", "Raised by", 1.1),
)
RECORD_HEADINGS = (
    ("instance_id", "编号", "Instance", 0.5), ("process", "流程", "Process", 1.0),
    ("business_key", "业务编号、标题", "Business key, title", 1.4), ("status", "状态", "Status", 0.6),
    ("steps", "办理步骤（办理人、时间）", "Steps (who, when)", 3.6),
    ("raised", "提出的不符合项", "Nonconformities raised", 1.4),
)
TRACE = {
    "nc": ("不符合项", "Nonconformity"), "source": ("来源 · 条款", "Source · clause"),
    "severity": ("严重程度", "Severity"), "department": ("部门 · 负责人", "Department · owner"),
    "dates": ("发现日期 · 到期日", "Detected on · due"), "status": ("状态", "Status"), "raised_by": ("提出于", "Raised by"),
    "not_assessed": ("尚未评估", "not assessed yet"), "not_named": ("尚未指定", "not named yet"),
    "not_planned": ("尚未计划", "not planned yet"), "by_hand": ("{who}（手动提出）", "{who} (by hand)"),
    "age": ("{status}（时长 {age} 天，有效性评审 {rounds} 轮，逾期 {overdue} 次）",
            "{status} (age {age} days, review rounds {rounds}, overdue {overdue} times)"),
    "round": ("（第 {n} 轮）", " (round {n})"), "effective": ("：有效", ": effective"),
    "not_effective": ("：无效", ": NOT effective"), "open": ("待办", "open"),
    "anyone": ("（该角色中任何人）", "(anyone in the role)"),
    "evidence": ("证据：{file}（{size} 字节，sha256 {sha}），上传人 {who}",
                 "Evidence: {file} ({size} bytes, sha256 {sha}) uploaded by {who}"),
    "due": ("到期：{at}", "Due: {at}"),
}


def _columns(headings: tuple[tuple[str, str, str, float], ...], lang: str) -> tuple[Column, ...]:
    return tuple(Column(key, en if lang == "en" else zh, width) for key, zh, en, width in headings)


def _say(key: str, names: Labels, **values: object) -> str:
    return names.pick(*TRACE[key]).format(**values)


def register_rows(ncs: list[Nonconformity], zone: ZoneInfo, names: Labels) -> list[dict[str, object]]:
    """One row per nonconformity, as the register page and its exports show it (numbers, dates and times typed)."""
    sources = choice_labels("corrective_action.raise", "source")
    severities = choice_labels("corrective_action.analyse_cause", "severity")
    return [{"instance_id": nc.instance_id, "business_key": nc.business_key, "title": nc.title,
             "source": names.choice(sources, nc.source), "clause": names.clause_title(nc.clause),
             "severity": names.choice(severities, nc.severity), "department": names.department(nc.department),
             "owner": names.person(nc.owner), "detected_on": nc.detected_on, "due": nc.due,
             "status": names.nonconformity_status(nc.status), "age_days": nc.age_days,
             "closed_at": nc.closed_at.astimezone(zone) if nc.closed_at else None,
             "raised_by": _raised_by(nc, names)} for nc in ncs]


def _raised_by(nc: Nonconformity, names: Labels) -> str:
    if nc.raised_by is None:
        return _say("by_hand", names, who=names.person(nc.raised_by_user))
    return f"{names.instance(None, process_id=nc.raised_by.process_id, key=nc.raised_by.business_key)} " \
           f"#{nc.raised_by.instance_id}"


def register_table(session: Session, *, period: ReportingPeriod, where: NonconformityFilter, by: str,
                   lang: str = "zh") -> Table:
    """The register of nonconformities raised in the period that pass the filter, in ``lang``."""
    access.require_oversight(session, by, "the nonconformity register")
    ncs = nonconformities.register(session, where=replace(where, since=period.since, until=period.until))
    names = labels(session, lang)
    return Table(word("register_title", lang), _columns(REGISTER_HEADINGS, lang),
                 register_rows(ncs, period.zone, names),
                 statement(session, holds=word("register_holds", lang, n=len(ncs)), period=period.label,
                           filters=filter_line(_filters(where, names), lang), by=by, zone=period.zone,
                           lang=lang), lang=lang)


def _filters(where: NonconformityFilter, names: Labels) -> list[tuple[str, str]]:
    """The filter as read: each choice by its label."""
    choices = {"source": choice_labels("corrective_action.raise", "source"),
               "severity": choice_labels("corrective_action.analyse_cause", "severity")}
    parts = []
    for name, value in asdict(where).items():
        if not value or name in ("since", "until"):
            continue
        if name == "status":
            said = names.nonconformity_status(value)
        elif name == "department":
            said = names.department(value)
        else:
            said = names.choice(choices[name], value) if name in choices else str(value)
        parts.append((name, said))
    return parts


def trace_pdf(session: Session, instance_id: int, *, by: str, zone: ZoneInfo, lang: str = "zh") -> tuple[bytes, int]:
    """One nonconformity's facts and its whole timeline, for reading offline; (PDF, how many moments)."""
    access.require_oversight(session, by, "a nonconformity's trace")
    found = trace(session, instance_id)
    if found is None:
        raise NotFound(f"instance {instance_id} is not a nonconformity (a corrective action)")
    names = labels(session, lang)
    nc = found.nonconformity
    sources = choice_labels("corrective_action.raise", "source")
    severities = choice_labels("corrective_action.analyse_cause", "severity")
    facts = [(_say("nc", names), f"#{nc.instance_id} {nc.business_key or ''} {nc.title}"),
             (_say("source", names), f"{names.choice(sources, nc.source)} · {names.clause_title(nc.clause) or '—'}"),
             (_say("severity", names), names.choice(severities, nc.severity) or _say("not_assessed", names)),
             (_say("department", names), f"{names.department(nc.department) or '—'} · "
                                         f"{names.person(nc.owner) or _say('not_named', names)}"),
             (_say("dates", names), f"{nc.detected_on} · {nc.due or _say('not_planned', names)}"),
             (_say("status", names), _say("age", names, status=names.nonconformity_status(nc.status),
                                          age=nc.age_days, rounds=nc.review_rounds, overdue=nc.overdue_rounds)),
             (_say("raised_by", names), _raised_by(nc, names))]
    moments = [_moment(step, zone, names) for step in found.steps]
    head = statement(session, holds=word("trace_holds", lang, id=nc.instance_id, n=len(moments)),
                     period=word("whole_life", lang), filters="", by=by, zone=zone, lang=lang)
    title = f"{word('trace_title', lang)} #{nc.instance_id}"
    return timeline_pdf(title, head, facts, moments, lang), len(moments)


def records_pdf(session: Session, *, period: ReportingPeriod, by: str, lang: str = "zh") -> tuple[bytes, int]:
    """Every clause that requires records, with the instances that made them in the period; (PDF, records)."""
    access.require_oversight(session, by, "the records by clause")
    held = clauses.records_by_clause(session, since=period.since, until=period.until)
    names = labels(session, lang)
    sections = [Section(f"{c.clause.label} {names.clause(c.clause.numbers, c.clause.subject)}",
                        _columns(RECORD_HEADINGS, lang),
                        record_rows(c.records, period.zone, names), note=c.clause.requirement) for c in held]
    count = sum(len(c.records) for c in held)
    head = statement(session, holds=word("records_holds", lang, n=count, clauses=len(held)), period=period.label,
                     filters="", by=by, zone=period.zone, lang=lang)
    return sections_pdf(word("records_title", lang), head, sections, lang), count


def record_rows(records: tuple[clauses.ClauseRecord, ...], zone: ZoneInfo, names: Labels) -> list[dict[str, object]]:
    return [{"instance_id": r.instance_id, "process": names.process(r.process_id),
             "business_key": "\n".join(part for part in (r.business_key, r.title) if part),
             "status": names.instance_status(r.instance_status),
             "steps": "\n".join(f"{names.pick(s.title, s.title_en)} — {names.person(s.completed_by)}, "
                                f"{_local(s.completed_at, zone)}" for s in r.steps),
             "raised": "\n".join(f"#{c.instance_id} {c.business_key or ''} ({names.instance_status(c.status)})"
                                 for c in r.raised)}
            for r in records]


def _moment(step: TraceStep, zone: ZoneInfo, names: Labels) -> Moment:
    what = names.pick(step.title_zh, step.title_en)
    if step.round:
        what += _say("round", names, n=step.round)
    if step.effective is not None:
        what += _say("effective" if step.effective else "not_effective", names)
    colon = ": " if names.lang == "en" else "："
    details = [f"{names.pick(line.label_zh, line.label_en)}{colon}{_value(line, zone, names)}" for line in step.lines]
    details += [_say("evidence", names, file=f.file_name, size=f.size, sha=f.sha256, who=names.person(f.uploaded_by))
                for f in step.evidence]
    if step.due_at is not None:
        details.append(_say("due", names, at=_local(step.due_at, zone)))
    when = _local(step.at, zone) if step.at else _say("open", names)
    return Moment(when, names.person(step.actor) or _say("anyone", names), what, details)


def _value(line: Line, zone: ZoneInfo, names: Labels) -> str:
    """A line's value as read: an open step's role by its name, a recorded time in the plant's zone."""
    if line.name == "role":
        return names.role(line.value_en)
    if line.name == "due_at":
        try:
            return _local(datetime.fromisoformat(line.value_en), zone)
        except ValueError:
            pass
    return names.pick(line.value_zh, line.value_en)


def _local(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""
