"""One nonconformity's whole life on a timeline: finding, consequences, cause, correction, reviews, closure.

The timeline is read from what the system recorded: the start of the corrective action (and
the audit, evaluation or review that raised it), every completed step with its form answers
and evidence files, each time the correction ran overdue, and the end. Steps that loop (a
failed effectiveness review sends the case back to cause analysis) appear once per round.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.models import AuditEvent, Evidence, ProcessInstance
from engine.read import nonconformities, queries
from engine.read.nonconformities import Nonconformity
from engine.read.steps import directory_names
from forms import FORMS
from forms.describe import Line, Names, describe

RAISE_FORM = "corrective_action.raise"
RAISE_FIELDS = tuple(FORMS[RAISE_FORM].schema._declared_fields)
OVERDUE_TIMER = "correction_overdue"  # the boundary timer on the correction
# What each step of the corrective-action process is on the timeline (the guideline's words).
STEP_KINDS = {
    "evaluate_consequences": "consequences", "analyse_cause": "cause_analysis",
    "implement_correction": "correction", "follow_up_overdue": "follow_up", "escalate_to_body": "escalation",
    "review_effectiveness": "effectiveness_review", "close_nonconformity": "closure",
}
KIND_TITLES = {
    "finding": ("发现不符合项", "Finding"),
    "consequences": ("后果评价与处置", "Consequences evaluated and handled"),
    "cause_analysis": ("原因分析、类似情况检查、预防措施与纠正计划",
                       "Root cause, similar cases checked, preventive measures, corrective plan"),
    "correction": ("实施纠正措施", "Correction carried out"),
    "overdue": ("纠正措施逾期", "Correction overdue"),
    "follow_up": ("逾期跟进", "Overdue correction followed up"),
    "escalation": ("升级至碳排放管理机构", "Escalated to the carbon management body"),
    "effectiveness_review": ("有效性评审", "Effectiveness review"),
    "closure": ("关闭", "Closure"),
    "pending": ("待办", "Waiting"),
}


@dataclass(frozen=True)
class EvidenceFile:
    id: int
    file_name: str
    size: int
    sha256: str
    uploaded_by: str


@dataclass(frozen=True)
class TraceStep:
    """One moment of the timeline; ``round`` counts cause analyses and reviews (1, 2, … after a failed review)."""

    kind: str
    at: datetime | None
    actor: str | None
    task_id: int | None = None
    round: int | None = None
    effective: bool | None = None
    lines: tuple[Line, ...] = ()
    evidence: tuple[EvidenceFile, ...] = ()
    due_at: datetime | None = None

    @property
    def title_zh(self) -> str:
        return KIND_TITLES[self.kind][0]

    @property
    def title_en(self) -> str:
        return KIND_TITLES[self.kind][1]


@dataclass(frozen=True)
class Trace:
    nonconformity: Nonconformity
    steps: list[TraceStep] = field(default_factory=list)


def trace(session: Session, instance_id: int, *, now: datetime | None = None) -> Trace | None:
    """The timeline of this nonconformity, oldest first, open steps last; None if it is not one."""
    nc = nonconformities.get(session, instance_id, now=now)
    if nc is None:
        return None
    # The raise form's answers stay in the instance's data: no later form of the process reuses their names.
    data = session.get(ProcessInstance, instance_id).data or {}
    names = directory_names(session)  # people and departments by their names, as every read-out shows them
    steps = [TraceStep("finding", nc.raised_at, nc.raised_by_user,
                       lines=_filled(describe(RAISE_FORM, {k: data[k] for k in RAISE_FIELDS if k in data}, names)))]
    steps += _completed_steps(session, instance_id, names)
    steps += _overdue_moments(session, instance_id)
    steps.sort(key=lambda s: (s.at, s.task_id or 0))
    steps += [TraceStep("pending", None, task.assignee, task_id=task.id, due_at=task.due_at,
                        lines=(Line("task", "步骤", "step", task.title, task.title_en or task.title),
                               Line("role", "角色", "role", task.role, task.role)))
              for task in queries.open_tasks_of(session, instance_id)]
    return Trace(nc, steps)


def _completed_steps(session: Session, instance_id: int, names: Names) -> list[TraceStep]:
    files = _evidence_by_task(session, instance_id)
    steps, rounds = [], 0
    for task in queries.completed_tasks_of(session, instance_id):
        kind = STEP_KINDS.get(task.name, "pending")
        data = task.submitted_data or {}
        if kind == "cause_analysis":
            rounds += 1
        steps.append(TraceStep(
            kind, task.completed_at, task.completed_by, task_id=task.id,
            round=rounds if kind in ("cause_analysis", "correction", "effectiveness_review") else None,
            effective=data.get("effective") if kind == "effectiveness_review" else None,
            lines=_filled(describe(task.form_key, data, names)), evidence=tuple(files.get(task.id, ())), due_at=task.due_at))
    return steps


def _filled(lines: list[Line]) -> tuple[Line, ...]:
    """The fields that hold something: an optional field left empty says nothing on the timeline."""
    return tuple(line for line in lines if line.value_zh or line.value_en)


def _evidence_by_task(session: Session, instance_id: int) -> dict[int, list[EvidenceFile]]:
    found: dict[int, list[EvidenceFile]] = {}
    for row in session.scalars(select(Evidence).where(Evidence.instance_id == instance_id).order_by(Evidence.id)):
        found.setdefault(row.task_id, []).append(
            EvidenceFile(row.id, row.file_name, row.size, row.sha256, row.uploaded_by))
    return found


def _overdue_moments(session: Session, instance_id: int) -> list[TraceStep]:
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == "timer_fired").order_by(AuditEvent.seq))
    return [TraceStep("overdue", event.at, event.actor,
                      lines=(Line("due_at", "原定完成时间", "was due", *(str((event.data or {}).get("due_at")),) * 2),))
            for event in events if (event.data or {}).get("timer") == OVERDUE_TIMER]
