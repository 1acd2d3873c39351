"""An instance's steps as a reader sees them: what each recorded, as labelled read-outs, by whom and when.

The start is a step too: what the instance was started with (its start form, or the data of the message
that started it), read from the start's audit event.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.bpmn.parsing import StartEventInfo
from engine.models import AuditEvent, Department, Evidence, HumanTask, ProcessDefinition, User
from engine.read.labels import split_name
from forms.describe import Line, Names, describe


@dataclass(frozen=True)
class Step:
    """An earlier step as a reader sees it: what it recorded, who did it and when, with its evidence files."""

    element: str
    title: str
    title_en: str | None
    by: str | None
    at: datetime | None
    lines: tuple[Line, ...]
    evidence: tuple[Evidence, ...] = ()
    task_id: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # what was entered, for read-outs that compare


def directory_names(session: Session) -> Names:
    """Users by display name and departments by their names, for read-outs of what forms store as codes."""
    people = dict(session.execute(select(User.username, User.display_name)).all())
    departments = {code: (zh, en) for code, zh, en in session.execute(
        select(Department.code, Department.name_zh, Department.name_en))}
    return Names(people, departments)


def task_step(task: HumanTask, names: Names, files: dict[int, list[Evidence]]) -> Step:
    return Step(task.name, task.title, task.title_en, task.completed_by, task.completed_at,
                _answered(describe(task.form_key, task.submitted_data or {}, names)), tuple(files.get(task.id, ())),
                task.id, dict(task.submitted_data or {}))


def _answered(lines: list[Line]) -> tuple[Line, ...]:
    """The fields that hold something: an optional field left empty says nothing to the reader."""
    return tuple(line for line in lines if line.value_zh or line.value_en)


def start_step(session: Session, instance: Any, definition: ProcessDefinition, starts: list[StartEventInfo],
                names: Names) -> Step | None:
    """What the instance was started with (its start form or message), from the start's audit event."""
    recorded = session.scalar(select(AuditEvent.data).where(AuditEvent.instance_id == instance.id,
                                                            AuditEvent.action == "start").limit(1))
    data = (recorded or {}).get("data") or {}
    if "message" in data:
        event = next((s for s in starts if s.message == data["message"]), None)
        data = data.get("payload") or {}
    elif "schedule" in data:
        return None  # a scheduled start carries no entries; its first step fills them in
    else:
        event = next((s for s in starts if s.trigger == "none"), None)
    if event is None or not data:
        return None
    form_key = event.form_key or definition.start_form_key
    title, title_en = split_name(event.title or definition.name)  # a model's "中文 English" name, one per language
    return Step(event.event_id, title, event.title_en or title_en, instance.started_by,
                instance.started_at, _answered(describe(form_key or "", data, names)), data=dict(data))
