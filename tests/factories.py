"""Small functions that build what tests need: seeded users, BPMN snippets, started instances."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from marshmallow import Schema, fields, validate
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from demo import users as demo_users
from engine import clock, people
from engine.config import PROJECT_ROOT
from engine.db import Database
from engine.errors import InvalidFormData
from engine.models import HumanTask, ProcessInstance, TaskStatus
from engine.models import task_counts
from engine.models.tasks import NO_DUE_DATE
from engine.read import queries
from engine.services import deployments, evidence, instances, tasks, users
from forms import form
from forms.fields import label

PASSWORD = "correct horse battery"

EVIDENCE = evidence.Upload("verification-record.pdf", b"%PDF-1.7 verification record", "application/pdf")

# A small form for the test processes built below (the real processes' forms change with them).
NOTE_FORM = "test.note"


@form(NOTE_FORM, "备注", "Note")
class NoteForm(Schema):
    follow_up_note = fields.String(required=True, validate=validate.Length(min=1), metadata=label("备注", "Note"))
    new_expected_date = fields.Date(allow_none=True, load_default=None, metadata=label("日期", "Date"))


# username: (roles, department)
USERS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "gm": (("top_management", "carbon_body"), "executive"),
    "body": (("carbon_body",), "carbon_office"),
    "body2": (("carbon_body",), "carbon_office"),
    "head_prod": (("department_head",), "production"),
    "head_energy": (("department_head",), "energy"),
    "staff_prod": (("carbon_staff",), "production"),
    "staff_energy": (("carbon_staff",), "energy"),
    "head_quality": (("department_head",), "quality"),
    "auditor": (("internal_auditor",), "quality"),
    "auditor_prod": (("internal_auditor",), "production"),
    "docs": (("document_controller",), "carbon_office"),
    "admin": (("process_admin",), "carbon_office"),
    "verifier": (("auditor",), None),
}


def seed(db: Database) -> None:
    """Roles, departments, one user per line of USERS, and processes/ deployed."""
    with db.transaction() as session:
        users.seed_roles(session)
        for code, (zh, en) in demo_users.DEPARTMENTS.items():
            users.ensure_department(session, code=code, name_zh=zh, name_en=en)
        for username, (roles, department) in USERS.items():
            user = users.create_user(session, username=username, display_name=username.title(),
                                     roles=roles, department=department)
            user.password_hash = _password_hash()  # argon2 is slow on purpose: hash once per run
        deployments.deploy_directory(session, directory=PROJECT_ROOT / "processes", actor="admin")


@lru_cache(maxsize=1)
def _password_hash() -> str:
    return PasswordHasher().hash(PASSWORD)


PLANT_TZ = ZoneInfo("Asia/Shanghai")


def days_ahead(days: int) -> str:
    """A date this many days after today at the plant, as the forms write it (tests must not age)."""
    return (datetime.now(PLANT_TZ).date() + timedelta(days=days)).isoformat()


def end_of_day(day: str) -> datetime:
    """23:59:59 of that date at the plant, in UTC: when a correction due that day becomes overdue."""
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), PLANT_TZ).astimezone(timezone.utc)


def raise_data(**overrides: Any) -> dict[str, Any]:
    """Valid start data for a corrective action found in production."""
    return {"title": "Kiln 2 gas meter out of calibration", "description": "Found in the 2026 audit.",
            "source": "internal_audit", "clause": "8.1.3", "department": "production",
            "detected_on": "2026-11-20", **overrides}


def analyse_data(**overrides: Any) -> dict[str, Any]:
    return {"severity": "major", "root_cause": "Calibration plan missed the meter.", "similar_checked": True,
            "similar_findings": "", "preventive_measures": "Add all meters to the plan.",
            "corrective_plan": "Calibrate and re-check data.", "owner": "staff_prod",
            "correction_due": "2099-12-31", **overrides}


FORM_DATA: dict[str, dict[str, Any]] = {
    "evaluate_consequences": {"consequences": "Q3 gas data uncertain.", "immediate_handling": "Flag Q3 data."},
    "implement_correction": {"actions_taken": "Meter calibrated.", "completed_on": "2026-11-28",
                             "evidence_description": "Calibration certificate 2026-118."},
    "follow_up_overdue": {"follow_up_note": "Chased the owner.", "owner": "staff_prod",
                          "correction_due": days_ahead(20)},
    "close_nonconformity": {"closure_summary": "Closed with evidence.", "records_complete": True},
}


def start_corrective_action(db: Database, actor: str = "staff_prod", **overrides: Any) -> int:
    with db.transaction() as session:
        return instances.start(session, process_id="corrective_action", actor=actor,
                               business_key=overrides.pop("business_key", "NC-1"),
                               data=raise_data(**overrides)).id


def open_task(db: Database, instance_id: int, name: str) -> HumanTask:
    """The open task with this BPMN id in the instance (fails the test if there is none)."""
    with db.reading() as session:
        task = session.scalar(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.name == name, HumanTask.status == "ready"))
    assert task is not None, f"no open task {name} in instance {instance_id}"
    return task


def open_tasks(db: Database, instance_id: int, name: str) -> list[HumanTask]:
    """Every open task with this BPMN id in the instance (multi-instance tasks have several), by id."""
    with db.reading() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.name == name, HumanTask.status == "ready")
            .order_by(HumanTask.id)))


def complete_task(db: Database, task_id: int, actor: str, data: dict[str, Any],
                  files: list[evidence.Upload] | None = None) -> HumanTask:
    """Complete one task by its id (for multi-instance tasks, where the name is not enough)."""
    with db.transaction() as session:
        task = session.get(HumanTask, task_id)
        if files is None:
            files = [EVIDENCE] if task.evidence_required else []
        return complete_as(session, task, actor, data, files)


def complete(db: Database, instance_id: int, name: str, actor: str, data: dict[str, Any] | None = None,
             files: list[evidence.Upload] | None = None) -> HumanTask:
    """Complete the open task with this name; a step that requires evidence gets a file unless ``files`` says."""
    task = open_task(db, instance_id, name)
    if files is None:
        files = [EVIDENCE] if task.evidence_required else []
    with db.transaction() as session:
        return complete_as(session, task, actor, FORM_DATA.get(name, {}) if data is None else data, files)


def complete_as(session: Session, task: HumanTask, actor: str, data: dict[str, Any],
                files: Sequence[evidence.Upload] = ()) -> HumanTask:
    """Complete the task as the actor, signing with the seeded password where it is a decision to sign."""
    if task.requires_signature:
        return tasks.complete_signed(session, task_id=task.id, actor=actor, data=data, password=PASSWORD,
                                     evidence_files=files)
    return tasks.complete(session, task_id=task.id, actor=actor, data=data, evidence_files=files)


def walk_to_approval(db: Database) -> HumanTask:
    """A baseline adjustment walked with valid data up to top management's decision, which needs a signature."""
    from tests.formdata import sample_form

    with db.transaction() as session:
        iid = instances.start(session, process_id="baseline_adjustment", actor="body",
                              data=sample_form("baseline_adjustment.start")).id
    for _ in range(10):
        with db.reading() as session:
            task = session.scalar(select(HumanTask).where(HumanTask.instance_id == iid, HumanTask.status == "ready"))
            if task.requires_signature:
                return task
            actor = next(u for u in sorted(USERS, key=lambda u: len(USERS[u][0]))
                         if people.may_work_on(task, people.get_actor(session, u)))
        try:
            complete_task(db, task.id, actor, sample_form(task.form_key))
        except InvalidFormData:  # as the walker does: the optional fields may clash
            complete_task(db, task.id, actor, sample_form(task.form_key, required_only=True))
    raise AssertionError("no approval reached")


def instance(db: Database, instance_id: int) -> ProcessInstance:
    with db.reading() as session:
        return queries.get_instance(session, instance_id)


def open_task_names(db: Database, instance_id: int) -> list[str]:
    with db.reading() as session:
        return sorted(session.scalars(select(HumanTask.name).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready")))


def bpmn(process_id: str, flow: str, *, lanes: dict[str, list[str]] | None = None,
         extra: str = "", collaboration: str = "") -> bytes:
    """A small BPMN file: ``flow`` holds the process's elements; lanes map role id -> element ids."""
    lane_xml = "".join(
        f'<bpmn:lane id="lane_{i}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs) + "</bpmn:lane>"
        for i, (name, refs) in enumerate((lanes or {}).items()))
    lane_set = f'<bpmn:laneSet id="lanes">{lane_xml}</bpmn:laneSet>' if lanes else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_{process_id}"
  targetNamespace="http://carbonflow.test">
  <bpmn:collaboration id="collab_{process_id}">
    <bpmn:participant id="part_{process_id}" processRef="{process_id}" />{collaboration}
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name="Test {process_id}" isExecutable="true">
    {lane_set}
    {flow}
  </bpmn:process>
  {extra}
</bpmn:definitions>""".encode()


def user_task(task_id: str, form_key: str = NOTE_FORM, **props: str) -> str:
    """A user task with a form key and any other spiffworkflow properties."""
    props = {"formKey": form_key, **props}
    items = "".join(f'<spiffworkflow:property name="{k}" value="{v}" />' for k, v in props.items())
    return (f'<bpmn:userTask id="{task_id}" name="Task {task_id}"><bpmn:extensionElements>'
            f"<spiffworkflow:properties>{items}</spiffworkflow:properties>"
            f"</bpmn:extensionElements></bpmn:userTask>")


def flows(*pairs: tuple[str, str]) -> str:
    return "".join(f'<bpmn:sequenceFlow id="f_{a}_{b}" sourceRef="{a}" targetRef="{b}" />' for a, b in pairs)


def deploy(db: Database, source: bytes, file_name: str = "test.bpmn") -> deployments.Deployment:
    with db.transaction() as session:
        return deployments.deploy(session, source=source, file_name=file_name, actor="admin")


def seed_open_tasks(db: Database, count: int, *, role: str = "carbon_body", assignee: str | None = None,
                    no_due: int = 0) -> list[int]:
    """Open tasks offered to a role (or assigned), due one hour apart in threes (the id decides between
    tasks due together), the last ``no_due`` without a due time; returns body's inbox ids in order."""
    instance_id = start_corrective_action(db)
    now = clock.now()
    rows = []
    for n in range(count):
        due = None if n >= count - no_due else now + timedelta(hours=n // 3 - 10)
        rows.append({"instance_id": instance_id, "process_id": "corrective_action",
                     "spiff_task_id": f"seed-{instance_id}-{n}", "name": "seeded", "title": f"种子任务 {n:03d}",
                     "title_en": f"Seeded task {n:03d}", "role": role,
                     "excluded_users": [], "assignee": assignee, "form_key": "test.note", "due_at": due,
                     "sort_due_at": due or NO_DUE_DATE, "priority": 2, "status": TaskStatus.READY.value,
                     "created_at": now, "version": 1})
    if rows:
        with db.transaction() as session:
            session.execute(insert(HumanTask).execution_options(render_nulls=True), rows)
            task_counts.recount(session)  # the bulk insert went past the ORM, which keeps the counts
    with db.reading() as session:
        return [t.id for t in queries.tasks_for_user(session, people.get_actor(session, "body"), limit=10_000)]


def tamper_with_audit_events(db: Database, *statements: str) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        else:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"))
        for statement in statements:
            connection.execute(text(statement))
        if db.engine.dialect.name != "sqlite":
            # The PostgreSQL test database outlives this test: leave the guard as it was.
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
