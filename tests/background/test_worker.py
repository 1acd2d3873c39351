"""Background work through dramatiq: timers, schedules, messages, reminders, incidents, without a click.

Runs on the in-process StubBroker; `.ci/run` runs it again against Redis and RabbitMQ
(CARBONFLOW_TEST_BROKER_URL) when they answer.
"""
from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from marshmallow import Schema, fields
from sqlalchemy import func, select

from engine import clock
from engine.background.worker import Background
from engine.errors import NotPermitted
from engine.models import AuditEvent, Job, Notification, ProcessInstance, StartSchedule, User
from engine.services import jobs, notifications
from forms import form
from forms.fields import label
from tests.factories import (
    analyse_data,
    bpmn,
    complete,
    days_ahead,
    deploy,
    end_of_day,
    open_task,
    open_task_names,
    start_corrective_action,
    user_task,
)

BROKER_URL = os.environ.get("CARBONFLOW_TEST_BROKER_URL")


@pytest.fixture
def background(db):
    worker = Background(db, broker_url=BROKER_URL, threads=2, tick_seconds=3600)  # ticks are the test's
    worker.broker.flush_all()
    worker.start()
    yield worker
    worker.stop()


def settle(background, now=None, rounds=3):
    """Tick and wait for the actors, a few times: work done by one tick can queue more for the next."""
    for _ in range(rounds):
        background.tick(now)
        background.drain()


def _notified(db, kind=None):
    with db.reading() as session:
        query = select(Notification.username, Notification.kind, Notification.task_id).order_by(Notification.id)
        if kind:
            query = query.where(Notification.kind == kind)
        return [tuple(row) for row in session.execute(query)]


def _count(db, model, *where):
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_new_task_is_announced_to_everyone_who_may_do_it(db, background):
    nc = start_corrective_action(db)
    settle(background)
    task = open_task(db, nc, "evaluate_consequences")
    assert _notified(db) == [("body", "new_task", task.id), ("body2", "new_task", task.id), ("gm", "new_task", task.id)]
    settle(background)
    assert len(_notified(db)) == 3  # each event once, however often the worker looks


def test_an_overdue_correction_is_escalated_by_the_worker_without_anyone_clicking(db, background):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(owner="staff_energy", correction_due=days_ahead(5)))
    settle(background, end_of_day(days_ahead(5)) - timedelta(hours=1))
    assert open_task_names(db, nc) == ["implement_correction"]

    settle(background, end_of_day(days_ahead(5)) + timedelta(minutes=1))
    follow_up = open_task(db, nc, "follow_up_overdue")
    assert ("head_energy", "escalation", follow_up.id) in _notified(db)


def test_the_yearly_internal_audit_starts_on_its_date(db, background):
    with db.reading() as session:
        due = session.scalar(select(StartSchedule.next_run_at).where(StartSchedule.process_id == "internal_audit"))
    settle(background, due - timedelta(minutes=1))
    assert _count(db, ProcessInstance, ProcessInstance.process_id == "internal_audit") == 0
    settle(background, due + timedelta(minutes=1))
    with db.reading() as session:
        audits = session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "internal_audit")).all()
    assert [a.started_by for a in audits] == ["system"]
    assert open_task_names(db, audits[0].id) == ["draft_programme"]


REGULATION = {"title": "Cement sector accounting guide 2027", "issuer": "MEE", "effective_date": "2027-01-01",
              "summary": "New process emission factors for clinker."}


def test_a_regulation_change_sent_for_the_background_starts_the_compliance_re_evaluation(db, background):
    with db.transaction() as session:
        job_id = jobs.enqueue(session, kind="deliver_message", actor="gm",
                              payload={"name": "regulation_changed", "data": REGULATION}).id
    settle(background)
    with db.reading() as session:
        done = session.get(Job, job_id)
        started = session.get(ProcessInstance, done.result["started"][0])
    assert (done.status, started.process_id, started.data["title"]) == ("done", "compliance_reevaluation",
                                                                         REGULATION["title"])


def test_reminders_go_out_before_the_due_time_and_again_when_overdue_once_each(db, background):
    nc = start_corrective_action(db)
    task = open_task(db, nc, "evaluate_consequences")
    settle(background, task.due_at - timedelta(hours=30))
    assert _notified(db, "reminder") == []
    settle(background, task.due_at - timedelta(hours=12))
    assert {u for u, _, _ in _notified(db, "reminder")} == {"body", "body2", "gm"}
    settle(background, task.due_at + timedelta(hours=1))
    settle(background, task.due_at + timedelta(hours=2))
    assert sorted(u for u, _, _ in _notified(db, "overdue")) == ["body", "body2", "gm"]
    assert len(_notified(db, "reminder")) == 3


def test_two_workers_racing_for_the_same_due_timer_advance_the_instance_once(db):
    nc = start_corrective_action(db)
    complete(db, nc, "evaluate_consequences", "body")
    complete(db, nc, "analyse_cause", "head_prod", analyse_data(correction_due=days_ahead(3)))
    late = end_of_day(days_ahead(3)) + timedelta(minutes=5)
    workers = [Background(db, broker_url=None, threads=2, tick_seconds=3600) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        barrier = threading.Barrier(2)

        def race(worker):
            barrier.wait()
            for _ in range(3):  # each worker also repeats its own message
                worker.fire_timers.send(nc, late.isoformat())
            worker.drain()

        threads = [threading.Thread(target=race, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for worker in workers:
            worker.stop()
    assert _count(db, AuditEvent, AuditEvent.action == "timer_fired", AuditEvent.instance_id == nc) == 1
    assert open_task_names(db, nc) == ["follow_up_overdue"]


LATE_LISTENER = bpmn("late_listener", (
    '<bpmn:startEvent id="s"><bpmn:messageEventDefinition id="m" messageRef="msg" /></bpmn:startEvent>'
    + user_task("read") + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="read" />'),
    lanes={"carbon_body": ["s", "read"]}, extra='<bpmn:message id="msg" name="test_supplier_notice" />')


def test_a_failing_job_retries_with_backoff_becomes_an_incident_and_succeeds_on_retry_after_a_fix(db, background):
    with db.transaction() as session:
        job_id = jobs.enqueue(session, kind="deliver_message", actor="gm",
                              payload={"name": "test_supplier_notice", "data": {"supplier": "Kiln fuel Co."}}).id
    now = clock.now()
    for attempt in range(jobs.MAX_ATTEMPTS):
        settle(background, now, rounds=1)
        now += timedelta(hours=2)  # past any backoff
    with db.reading() as session:
        failed = session.get(Job, job_id)
        assert (failed.status, failed.attempts) == ("failed", jobs.MAX_ATTEMPTS)
        assert "no process starts on message 'test_supplier_notice'" in failed.last_error
        assert [i["job_id"] for i in jobs.incidents(session) if i["type"] == "job"] == [job_id]

    deploy(db, LATE_LISTENER)  # the fix
    with db.transaction() as session, pytest.raises(NotPermitted):
        jobs.retry_failed(session, actor="gm", job_id=job_id)
    with db.transaction() as session:
        jobs.retry_failed(session, actor="admin", job_id=job_id)
    settle(background)
    with db.reading() as session:
        assert session.get(Job, job_id).status == "done"
        assert jobs.incidents(session) == []
    assert _count(db, ProcessInstance, ProcessInstance.process_id == "late_listener") == 1


def test_a_job_run_twice_has_its_effect_once(db):
    nc = start_corrective_action(db)
    with db.reading() as session:
        job_id = session.scalar(select(Job.id).where(Job.kind == "notify_task", Job.instance_id == nc))
    assert jobs.run(db, job_id) == "done"
    assert jobs.run(db, job_id) == "skipped"
    assert len(_notified(db)) == 3


def test_notifications_are_mailed_when_a_mail_server_is_configured(db, background, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            self.host, self.port = host, port

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def ehlo(self):
            return 250, b"ok"

        def has_extn(self, name):
            return name == "starttls"

        def starttls(self):
            sent.append(("starttls", self.port))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append((message["To"], message["Subject"], message["From"]))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setenv("MAIL_URL", "smtp://carbonflow:secret@mail.plant.example:587?from=carbonflow@plant.example")
    with db.transaction() as session:
        session.scalar(select(User).where(User.username == "body")).email = "body@plant.example"
    start_corrective_action(db)
    settle(background)
    assert ("body@plant.example", "评价并处置后果 / Evaluate and handle the consequences",
            "carbonflow@plant.example") in sent
    # TLS before the password; users without an address get the in-app notification only.
    assert sent[:2] == [("starttls", 587), ("login", "carbonflow")]
    assert [s for s in sent if s[0] not in ("starttls", "login", "body@plant.example")] == []
    with db.reading() as session:
        mailed = session.scalar(select(Notification.emailed_at).where(Notification.username == "body"))
    assert mailed is not None


@form("test.approval", "批准", "Approval")
class _ApprovalForm(Schema):
    approved = fields.Boolean(required=True, metadata=label("批准", "Approved"))


APPROVAL = bpmn("approval", '<bpmn:startEvent id="s" />' + user_task("approve", form_key="test.approval")
                + '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="approve" />',
                lanes={"top_management": ["s", "approve"]})


def test_a_decision_is_announced_to_whoever_started_the_instance(db, background):
    from engine.services import instances
    deploy(db, APPROVAL)
    with db.transaction() as session:
        iid = instances.start(session, process_id="approval", actor="staff_prod").id
    complete(db, iid, "approve", "gm", {"approved": False})
    settle(background)
    assert [(u, k) for u, k, _ in _notified(db, "decision")] == [("staff_prod", "decision")]
    with db.reading() as session:
        [row] = notifications.inbox(session, "staff_prod")
    assert row.title.endswith("returned")


def test_long_jobs_build_the_clause_report_and_import_users_in_the_background(db, background):
    rows = [{"username": "liu.new", "display_name": "Liu", "roles": "carbon_staff", "department": "energy",
             "email": "liu@plant.example"},
            {"username": "body", "display_name": "Body", "roles": "carbon_body", "department": "carbon_office"}]
    with db.transaction() as session:
        report = jobs.enqueue(session, kind="clause_report", actor="auditor", payload={"since": None, "until": None})
        imported = jobs.enqueue(session, kind="import_users", actor="admin", payload={"rows": rows})
        refused = jobs.enqueue(session, kind="import_users", actor="gm", payload={"rows": rows})
    settle(background)
    with db.reading() as session:
        report, imported, refused = (session.get(Job, j.id) for j in (report, imported, refused))
        assert report.result["summary"]["records_required_uncovered"] == []
        assert imported.result == {"created": ["liu.new"], "existing": ["body"]}
        assert session.scalar(select(User.email).where(User.username == "liu.new")) == "liu@plant.example"
        # Refused for its sender: no use retrying, it is an incident at once.
        assert (refused.status, refused.attempts) == ("failed", 1) and "may not import users" in refused.last_error


def test_a_job_that_takes_its_worker_down_every_time_ends_as_an_incident(db, monkeypatch):
    def crash(session, job):
        raise SystemExit("the worker died")  # like SIGKILL or running out of memory: nothing is recorded

    monkeypatch.setitem(jobs.HANDLERS, "test_crash", crash)
    monkeypatch.setenv("CARBONFLOW_JOB_LEASE_SECONDS", "1")
    with db.transaction() as session:
        job_id = jobs.enqueue(session, kind="test_crash", payload={}, actor="admin").id
    now = clock.now()
    for _ in range(jobs.MAX_ATTEMPTS):
        with pytest.raises(SystemExit):
            jobs.run(db, job_id, now=now)
        now += timedelta(seconds=2)  # past the lease: the next worker takes it
    assert jobs.run(db, job_id, now=now) == "skipped"
    with db.reading() as session:
        job = session.get(Job, job_id)
        assert (job.status, job.attempts) == ("failed", jobs.MAX_ATTEMPTS)
        assert [i["job_id"] for i in jobs.incidents(session) if i["type"] == "job"] == [job_id]


def test_only_passing_database_trouble_is_retried_without_counting():
    from sqlalchemy.exc import DataError, IntegrityError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from engine.db import is_passing
    assert is_passing(OperationalError("SELECT 1", {}, Exception("database is locked")))
    assert is_passing(PoolTimeout("QueuePool limit reached"))
    assert not is_passing(DataError("INSERT", {}, Exception("value too long for type character varying(40)")))
    assert not is_passing(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_passing(ValueError("a bug"))
