"""Every route of the app, tried signed out and as one user of each role, against the table below.

A route missing from the table fails the test, so no new page or endpoint goes unchecked. The
read-only auditor ("verifier") may read every page of any instance, and every write it tries is
refused and changes nothing.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from engine.config import PROJECT_ROOT
from engine.models import AuditEvent, HumanTask, Job, Notification, ProcessInstance
from engine.people import READ_ONLY_ROLE
from engine.read import queries
from engine.services import notifications, sign_ins, tasks
from tests.factories import (
    EVIDENCE,
    FORM_DATA,
    PASSWORD,
    USERS,
    analyse_data,
    complete,
    open_task,
    raise_data,
    start_corrective_action,
)
from tests.web.conftest import bearer_token, csrf_token
from webui import auth

SIGNED_OUT = "signed out"
# One user of each role in tests/factories.py (gm: top management; verifier: the read-only auditor).
SUBJECTS = (SIGNED_OUT, "gm", "body", "head_prod", "staff_prod", "auditor", "docs", "admin", "verifier")
SIGN_IN = "sign-in"  # the answer is a redirect to the sign-in page
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REGULATION = {"title": "New cement guide", "issuer": "MEE", "effective_date": "2027-01-01", "summary": "Factors."}


def everyone(code: int | str, **but: int | str) -> dict[str, int | str]:
    """The same answer for every signed-in subject, except those named."""
    return {subject: but.get(subject, code) for subject in SUBJECTS[1:]}


# An instance's readers: those who took part, may work on its open task, or oversee the system.
# docs (document_controller) is none of these.
READERS = everyone(200, docs=403)
WRITING_READERS = everyone(302, docs=403, verifier=403)  # readers who may write: all but the read-only auditor
OVERSEERS = everyone(200, head_prod=403, staff_prod=403, docs=403)
ADMINS = everyone(403, admin=200)
CORRECTIVE_ACTION = (PROJECT_ROOT / "processes" / "corrective_action.bpmn").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Row:
    """What each subject gets from one route (signed in), and how to call it."""

    expect: dict[str, int | str]
    body: Callable[[str], dict[str, Any]] | None = None  # the form or JSON sent, given the subject
    task: str = "open"  # task_id names the open step (offered to head_prod), or "claimed" by head_prod
    signed_out: int | str | None = None  # None: pages send signed-out callers to sign in, the API answers 401
    session: bool = False  # changes only the caller's own session: sign-in, sign-out, language, token
    reads: bool = False  # a POST that only reads (a model checked without storing): it never changes anything


def _credentials(subject: str) -> dict[str, str]:
    return {"username": "body" if subject == SIGNED_OUT else subject, "password": PASSWORD}


def _analysis(_subject: str) -> dict[str, Any]:
    """analyse_cause as the task page's form posts it."""
    return {**{k: ("on" if v is True else v) for k, v in analyse_data().items()}, "action": "complete"}


# (endpoint, method) -> Row: the authority. A route of app.url_map without a row fails the test.
TABLE: dict[tuple[str, str], Row] = {
    # Pages
    ("home", "GET"): Row(everyone(302)),
    ("static", "GET"): Row(everyone(200), signed_out=200),
    ("auth.sign_in", "GET"): Row(everyone(200), signed_out=200),
    ("auth.sign_in", "POST"): Row(everyone(302), body=_credentials, signed_out=302, session=True),
    ("auth.sign_out", "POST"): Row(everyone(SIGN_IN), session=True),
    ("i18n.set_language", "POST"): Row(everyone(302), body=lambda _: {"lang": "en"}, signed_out=302, session=True),
    ("inbox.show", "GET"): Row(everyone(200)),
    ("approvals.show", "GET"): Row(everyone(200)),
    ("instances.choose", "GET"): Row(everyone(200)),
    # Anyone may raise a nonconformity, but not the read-only auditor: the form is not there for them.
    ("instances.start", "GET"): Row(everyone(200, verifier=404)),
    ("instances.start", "POST"): Row(everyone(302, verifier=404),
                                     body=lambda _: {**raise_data(), "business_key": "NC-matrix"}),
    ("instances.show", "GET"): Row(READERS),
    ("instances.diagram", "GET"): Row(READERS),
    ("instances.export_record_pdf", "GET"): Row(READERS),
    # Evidence is read by the instance's readers (engine/read/access.py).
    ("instances.evidence_file", "GET"): Row(READERS),
    ("instances.view_evidence", "GET"): Row(READERS),  # a PDF, shown in the page
    ("tasks.show", "GET"): Row(READERS),
    ("tasks.submit", "POST"): Row(everyone(403, head_prod=302), body=_analysis),
    ("inbox.claim", "POST"): Row(everyone(403, head_prod=302)),
    ("inbox.unclaim", "POST"): Row(everyone(403, head_prod=302, admin=302), task="claimed"),
    # Nothing ticked: the list again, saying so; the read-only auditor is refused before that.
    ("inbox.claim_many", "POST"): Row(everyone(302, verifier=403), reads=True),
    # One's own inbox filters, like one's language: the read-only auditor keeps them too.
    ("inbox.save_filter", "POST"): Row(everyone(302), session=True, body=lambda subject: {"name": f"m-{subject}"}),
    ("inbox.delete_filter", "POST"): Row(everyone(404), session=True),
    ("open_work.show", "GET"): Row(OVERSEERS),
    ("tasks.delegate", "POST"): Row(everyone(403, head_prod=302, admin=302), body=lambda _: {"to_user": "head_prod"}),
    # Comments: the instance's readers write them, but not the read-only auditor.
    ("comments.on_task", "POST"): Row(WRITING_READERS, body=lambda _: {"body": "matrix"}),
    ("comments.on_instance", "POST"): Row(WRITING_READERS, body=lambda _: {"body": "matrix"}),
    # Notifications: everyone has their own list; one of head_prod's is nobody else's to open or mark (404).
    # Marking read changes only the caller's own notifications, as the session rows change only the caller's session.
    ("notifications.show", "GET"): Row(everyone(200)),
    ("notifications.open", "GET"): Row(everyone(404, head_prod=302)),
    ("notifications.mark_read", "POST"): Row(everyone(404, head_prod=302), session=True),
    ("notifications.mark_all_read", "POST"): Row(everyone(302), session=True),
    ("audit.trail", "GET"): Row(OVERSEERS),
    ("audit.verify", "GET"): Row(OVERSEERS),
    ("audit.export_audit", "GET"): Row(OVERSEERS),
    ("dashboard.show", "GET"): Row(everyone(200)),
    ("audit.register", "GET"): Row(OVERSEERS),
    ("audit.trace", "GET"): Row(OVERSEERS),
    ("audit.records", "GET"): Row(OVERSEERS),
    ("audit.export_nonconformities", "GET"): Row(OVERSEERS),
    ("audit.export_trace_pdf", "GET"): Row(OVERSEERS),
    ("audit.export_records_pdf", "GET"): Row(OVERSEERS),
    # Process administration: process_admin only
    ("process_admin.index", "GET"): Row(ADMINS),
    ("process_admin.versions", "GET"): Row(ADMINS),
    ("process_admin.download", "GET"): Row(ADMINS),
    ("process_admin.diff", "GET"): Row(ADMINS),
    ("process_admin.diff_data", "GET"): Row(ADMINS),
    ("process_admin.modeler", "GET"): Row(ADMINS),
    # Without a file the admin is asked for one (422); nothing is written.
    ("process_admin.upload", "POST"): Row(everyone(403, admin=422), body=lambda _: {"note": "matrix"}),
    ("process_admin.heat", "GET"): Row(ADMINS),
    ("process_admin.heat_data", "GET"): Row(ADMINS),
    ("operations.index", "GET"): Row(ADMINS),
    ("operations.export", "GET"): Row(ADMINS),
    ("operations.incidents", "GET"): Row(ADMINS),
    ("operations.schedule_list", "GET"): Row(ADMINS),
    # The first instance of the matrix's world (NC-world) is #1. The admin's refused writes name the reason.
    ("operations.bulk", "POST"): Row(everyone(403, admin=302), body=lambda _: {"action": "suspend", "instance": "1"}),
    ("operations.retry_job", "POST"): Row(everyone(403, admin=404)),  # job 1 does not exist
    ("operations.cancel_job", "POST"): Row(everyone(403, admin=409), body=lambda _: {"reason": "matrix"}),  # not failed
    ("operations.retry_instance", "POST"): Row(everyone(403, admin=409)),  # it is running, not in error
    ("operations.terminate_instance", "POST"): Row(everyone(403, admin=302), body=lambda _: {"reason": "matrix"}),
    ("operations.configure_schedule", "POST"): Row(everyone(403, admin=404), body=lambda _: {"period": "P1Y"}),
    ("operations.start_now", "POST"): Row(everyone(403, admin=404)),  # corrective_action has no schedule
    # A preview only reads; the migration is asked for version 0, which no process has.
    ("migrations.preview", "POST"): Row(ADMINS, body=lambda _: {"to_version": "1", "instance": "1"}, reads=True),
    ("migrations.migrate", "POST"): Row(everyone(403, admin=422), body=lambda _: {"to_version": "0", "instance": "1"}),
    # People administration: process_admin only, on body2 (no subject here) and the quality department.
    ("people_admin.users", "GET"): Row(ADMINS),
    ("people_admin.new_user", "GET"): Row(ADMINS),
    # Without a display name nothing is created: the form again, with the reason (422).
    ("people_admin.new_user", "POST"): Row(everyone(403, admin=422),
                                           body=lambda _: {"username": "matrix", "roles": "carbon_staff"}),
    ("people_admin.user", "GET"): Row(ADMINS),
    # The read-only auditor role beside a writing one is refused (422): nothing changes.
    ("people_admin.update_user", "POST"): Row(everyone(403, admin=422), body=lambda _: {
        "display_name": "Body 2", "roles": ["auditor", "carbon_body"]}),
    ("people_admin.confirm_deactivation", "GET"): Row(ADMINS),
    ("people_admin.deactivate", "POST"): Row(everyone(403, admin=302)),
    ("people_admin.reactivate", "POST"): Row(everyone(403, admin=409)),  # body2 is active
    ("people_admin.reset_password", "POST"): Row(everyone(403, admin=200)),  # the temporary password, shown once
    ("people_admin.import_form", "GET"): Row(ADMINS),
    ("people_admin.import_preview", "POST"): Row(everyone(403, admin=422)),  # no file: asked for one
    ("people_admin.import_users", "POST"): Row(everyone(403, admin=422), body=lambda _: {"rows": "[]"}),
    ("people_admin.departments", "GET"): Row(ADMINS),
    ("people_admin.create_department", "POST"): Row(everyone(403, admin=302), body=lambda _: {
        "code": "matrix", "name_zh": "矩阵部", "name_en": "Matrix"}),
    ("people_admin.rename_department", "POST"): Row(everyone(403, admin=302), body=lambda _: {
        "name_zh": "质量保证部", "name_en": "Quality assurance"}),
    ("people_admin.roles", "GET"): Row(ADMINS),
    # One's own password, for everyone, the read-only auditor included: it changes only their own sign-in.
    ("account.password", "GET"): Row(everyone(200)),
    ("account.password", "POST"): Row(everyone(302), session=True, body=lambda _: {
        "current_password": PASSWORD, "new_password": "a new passphrase", "repeat_password": "a new passphrase"}),
    # The JSON API
    ("api-docs.openapi_json", "GET"): Row(everyone(200)),
    ("api_auth.issue_token", "POST"): Row(everyone(200), body=_credentials, signed_out=200, session=True),
    ("api_auth.revoke_token", "DELETE"): Row(everyone(204), session=True),
    ("api_processes.list_processes", "GET"): Row(everyone(200)),
    ("api_processes.start", "POST"): Row(everyone(201, verifier=403), body=lambda _: {"data": raise_data()}),
    ("api_instances.show", "GET"): Row(READERS),
    ("api_instances.audit", "GET"): Row(READERS),
    ("api_tasks.inbox", "GET"): Row(everyone(200)),
    ("api_comments.list_comments", "GET"): Row(READERS),
    ("api_comments.post_comment", "POST"): Row(everyone(201, docs=403, verifier=403), body=lambda _: {"body": "matrix"}),
    ("api_notifications.list_notifications", "GET"): Row(everyone(200)),
    ("api_notifications.mark_read", "POST"): Row(everyone(404, head_prod=200), session=True),
    ("api_notifications.mark_all_read", "POST"): Row(everyone(200), session=True),
    ("api_tasks.show", "GET"): Row(READERS),
    ("api_tasks.claim", "POST"): Row(everyone(403, head_prod=200)),
    ("api_tasks.unclaim", "POST"): Row(everyone(403, head_prod=200, admin=200), task="claimed"),
    ("api_tasks.complete", "POST"): Row(everyone(403, head_prod=200), body=lambda _: {"data": analyse_data()}),
    ("api_process_versions.validate", "POST"): Row(ADMINS, body=lambda _: {"bpmn": CORRECTIVE_ACTION}, reads=True),
    ("api_process_versions.deploy", "POST"): Row(everyone(403, admin=201), body=lambda _: {
        "bpmn": CORRECTIVE_ACTION.replace('value="P14D"', 'value="P10D"', 1), "note": "matrix"}),
    ("api_process_versions.versions", "GET"): Row(ADMINS),
    ("api_process_versions.bpmn", "GET"): Row(ADMINS),
    ("api_process_versions.diff", "GET"): Row(ADMINS),
    # The JSON API: operations (process_admin only). Writes as the admin: instance #1 suspended; the others are
    # refused with nothing written (job 1 has not failed, #1 is not in error, corrective_action has no schedule).
    ("api_operations.list_instances", "GET"): Row(ADMINS),
    ("api_operations.incidents", "GET"): Row(ADMINS),
    ("api_operations.schedule_list", "GET"): Row(ADMINS),
    ("api_operations.bulk", "POST"): Row(ADMINS, body=lambda _: {"action": "suspend", "instance_ids": [1]}),
    ("api_operations.preview_migration", "POST"): Row(ADMINS, body=lambda _: {"instance_ids": [1], "to_version": 1},
                                                      reads=True),
    ("api_operations.migrate", "POST"): Row(everyone(403, admin=409),
                                            body=lambda _: {"instance_ids": [1], "to_version": 1}),
    ("api_operations.retry_job", "POST"): Row(everyone(403, admin=404)),
    ("api_operations.cancel_job", "POST"): Row(everyone(403, admin=409), body=lambda _: {"reason": "matrix"}),
    ("api_operations.retry_instance", "POST"): Row(everyone(403, admin=409)),
    ("api_operations.change_schedule", "PATCH"): Row(everyone(403, admin=404), body=lambda _: {"period": "P1Y"}),
    ("api_operations.start_now", "POST"): Row(everyone(403, admin=404)),
    # The JSON API: people (process_admin only)
    # Writes as the admin change body2, the quality department or make what is named after the subject; reactivating
    # body2, who is active, is refused (409) with nothing written.
    ("api_users.users", "GET"): Row(ADMINS),
    ("api_users.users", "POST"): Row(everyone(403, admin=201), body=lambda subject: {
        "username": f"matrix-{subject}", "display_name": "Matrix", "roles": ["carbon_staff"]}),
    ("api_users.user", "GET"): Row(ADMINS),
    ("api_users.user", "PATCH"): Row(everyone(403, admin=200), body=lambda subject: {"display_name": f"Body 2 {subject}"}),
    ("api_users.deactivate", "POST"): Row(everyone(403, admin=200)),
    ("api_users.reactivate", "POST"): Row(everyone(403, admin=409)),
    ("api_users.reset_password", "POST"): Row(everyone(403, admin=200)),
    ("api_users.import_users", "POST"): Row(everyone(403, admin=200), body=lambda subject: {"rows": [
        {"username": f"matrix-{subject}", "display_name": "Matrix", "roles": ["carbon_staff"]}]}),
    ("api_users.departments", "GET"): Row(ADMINS),
    ("api_users.departments", "POST"): Row(everyone(403, admin=201), body=lambda subject: {
        "code": f"matrix-{subject}", "name_zh": "矩阵部", "name_en": "Matrix"}),
    ("api_users.rename_department", "PATCH"): Row(everyone(403, admin=200), body=lambda subject: {
        "name_en": f"Quality {subject}"}),
    ("api_users.roles", "GET"): Row(ADMINS),
    ("api_messages.send", "POST"): Row(everyone(403, gm=202, body=202, admin=202), body=lambda _: {"data": REGULATION}),
}
READS = sorted(key for key in TABLE if key[1] not in WRITE_METHODS)
WRITES = sorted(key for key in TABLE if key[1] in WRITE_METHODS)


def _routes(app) -> dict[tuple[str, str], Any]:
    return {(rule.endpoint, method): rule for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


class World:
    """Real objects to fill the routes' parameters: an instance with an evidence file and open tasks."""

    def __init__(self, app, db) -> None:
        self.app, self.db = app, db
        self.instance_id = self._step_to_analysis("NC-world")
        self.open_task = open_task(db, self.instance_id, "analyse_cause").id
        self.claimed_task = self._claimed("NC-world-claimed")
        with db.reading() as session:
            self.evidence_id = queries.evidence_of(session, instance_id=self.instance_id)[0].id
        with db.transaction() as session:
            notifications.notify(session, usernames=["head_prod"], kind="new_task", key=f"new_task:{self.open_task}",
                                 title="matrix", instance_id=self.instance_id, task_id=self.open_task)
            self.notification_id = session.scalar(select(Notification.id).where(Notification.username == "head_prod"))
        self._made = 0

    def _step_to_analysis(self, key: str) -> int:
        """A nonconformity raised by staff_prod, its consequences evaluated by body with an evidence file."""
        nc = start_corrective_action(self.db, business_key=key)
        complete(self.db, nc, "evaluate_consequences", "body", FORM_DATA["evaluate_consequences"], files=[EVIDENCE])
        return nc

    def _claimed(self, key: str) -> int:
        task_id = open_task(self.db, self._step_to_analysis(key), "analyse_cause").id
        with self.db.transaction() as session:
            tasks.claim(session, task_id=task_id, actor="head_prod")
        return task_id

    def task(self, which: str, *, fresh: bool) -> int:
        """The open or claimed analyse_cause task; a new one for each write, so one success spoils no other."""
        if not fresh:
            return self.open_task if which == "open" else self.claimed_task
        self._made += 1
        key = f"NC-fresh-{self._made}"
        return open_task(self.db, self._step_to_analysis(key), "analyse_cause").id if which == "open" \
            else self._claimed(key)

    def path(self, rule, row: Row, *, fresh: bool) -> str:
        values = {"instance_id": lambda: self.instance_id, "task_id": lambda: self.task(row.task, fresh=fresh),
                  "evidence_id": lambda: self.evidence_id, "process_id": lambda: "corrective_action",
                  "name": lambda: "regulation_changed", "fmt": lambda: "csv", "filename": lambda: "carbonflow.css",
                  "version": lambda: 1, "job_id": lambda: 1, "filter_id": lambda: 999999,
                  "username": lambda: "body2", "department_code": lambda: "quality",
                  "notification_id": lambda: self.notification_id}
        missing = set(rule.arguments) - set(values)
        if missing:
            pytest.fail(f"no real object for {sorted(missing)} of {rule.endpoint} ({rule.rule}): add one to World.path")
        with self.app.test_request_context():
            return url_for(rule.endpoint, **{name: values[name]() for name in rule.arguments})

    def sign_in(self, subject: str, kind: str) -> str:
        """The secret of a new sign-in of the subject's, kept as signing in keeps it (without argon2 for each call)."""
        with self.db.transaction() as session:
            return sign_ins.start(session, username=subject, kind=kind)

    def token(self, subject: str) -> str:
        """A bearer token as POST /api/v1/auth/token issues it, for a new sign-in of the subject's."""
        return bearer_token(self.app, self.db, subject)

    def call(self, key: tuple[str, str], subject: str) -> Any:
        """The response to the route as the subject, on the shared objects."""
        return self.request(key, subject, fresh=False)()

    def request(self, key: tuple[str, str], subject: str, *, fresh: bool) -> Callable[[], Any]:
        """The route's request as the subject (signed in through the session, or with a bearer token), to send."""
        rule, row = _routes(self.app)[key], TABLE[key]
        path = self.path(rule, row, fresh=fresh)
        body = row.body(subject) if row.body else {}
        client = self.app.test_client()
        if rule.rule.startswith("/api/"):
            headers = {} if subject == SIGNED_OUT or key == ("api_auth.issue_token", "POST") else {
                "Authorization": f"Bearer {self.token(subject)}"}
            return lambda: client.open(path, method=key[1], headers=headers,
                                       json=body if key[1] in WRITE_METHODS else None)
        if subject != SIGNED_OUT:
            # Signed in as Flask-Login keeps it: argon2 for every call would make the matrix slow, and the
            # sign-in form itself has its row (where each subject signs in with the password).
            secret = self.sign_in(subject, "browser")
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"], session[auth.SECRET_KEY] = subject, True, secret
        if key[1] not in WRITE_METHODS:
            return lambda: client.open(path, method=key[1])
        token = csrf_token(client.get("/sign-in" if subject == SIGNED_OUT else "/inbox").get_data(as_text=True))
        return lambda: client.open(path, method=key[1], data={**body, "csrf_token": token})


def _outcome(key: tuple[str, str], response: Any) -> int | str:
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/sign-in":
        return SIGN_IN
    if response.status_code == 401:
        assert response.is_json, f"{key}: a 401 from the API is JSON"
    return response.status_code


def _expected(key: tuple[str, str], app) -> dict[str, int | str]:
    row = TABLE[key]
    default = 401 if _routes(app)[key].rule.startswith("/api/") else SIGN_IN
    return {SIGNED_OUT: default if row.signed_out is None else row.signed_out, **row.expect}


def _state(db) -> tuple[Any, ...]:
    """What a write would change: the audit trail, instances, jobs and every task's status, assignee and draft.

    The audit event that records a refusal is left out: it is the one thing a refusal adds.
    """
    with db.reading() as session:
        return (session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "refused")),
                session.execute(select(ProcessInstance.id, ProcessInstance.status, ProcessInstance.version)
                                .order_by(ProcessInstance.id)).all(),
                session.scalar(select(func.count()).select_from(Job)),
                [(t.id, t.status, t.assignee, t.draft) for t in session.scalars(select(HumanTask).order_by(HumanTask.id))])


def _refused(outcome: int | str) -> bool:
    return outcome == SIGN_IN or (isinstance(outcome, int) and outcome >= 400)


# The table itself


def test_every_route_has_a_row_in_the_table_and_every_row_a_route(app):
    routes = _routes(app)
    missing = [f"add a row for {endpoint} {method} ({routes[endpoint, method].rule})"
               for endpoint, method in sorted(set(routes) - set(TABLE))]
    stale = [f"remove the row for {endpoint} {method}: no such route" for endpoint, method in sorted(set(TABLE) - set(routes))]
    assert missing + stale == []


def test_the_subjects_are_one_user_of_every_role():
    roles = {role for username in SUBJECTS[1:] for role in USERS[username][0]}
    assert roles == {role for user_roles, _ in USERS.values() for role in user_roles}
    assert USERS["verifier"][0] == (READ_ONLY_ROLE,)


def test_the_table_refuses_the_auditor_every_write_and_grants_every_read_of_an_instance(app):
    routes = _routes(app)
    for key in WRITES:
        if not TABLE[key].session:
            assert _refused(TABLE[key].expect["verifier"]), f"{key} lets the read-only auditor write"
    for key in READS:
        if {"instance_id", "task_id", "evidence_id"} & set(routes[key].arguments):
            assert TABLE[key].expect["verifier"] == 200, f"{key} hides a record from the auditor"


# What the app answers


@pytest.mark.parametrize("key", READS, ids=" ".join)
def test_each_role_reads_what_the_table_says(key, app, db):
    world = World(app, db)
    assert {subject: _outcome(key, world.call(key, subject)) for subject in SUBJECTS} == _expected(key, app)


@pytest.mark.parametrize("key", WRITES, ids=" ".join)
def test_each_role_may_write_what_the_table_says_and_a_refusal_changes_nothing(key, app, db):
    world = World(app, db)
    answers, inconsistent = {}, []
    for subject in SUBJECTS:
        send = world.request(key, subject, fresh=True)  # its own task: one success spoils no later call
        before = _state(db)
        answers[subject] = _outcome(key, send())
        changed = _state(db) != before
        if TABLE[key].reads and changed:
            inconsistent.append(subject)
        elif not TABLE[key].session and not TABLE[key].reads and _refused(answers[subject]) == changed:
            inconsistent.append(subject)
    assert answers == _expected(key, app)
    assert inconsistent == [], "refused yet something changed, let through and nothing changed, or a read wrote"


# On every page, the sign-in page's own form, one's password and one's inbox filters: they change only the
# caller's own session and preferences.
SESSION_FORMS = frozenset({"/sign-out", "/language", "/sign-in", "/account/password", "/inbox/filters"})


@pytest.mark.parametrize("key", [key for key in READS if not key[0].startswith(("api", "static"))
                                 and ".export_" not in key[0]], ids=" ".join)  # pages, not files
def test_the_auditor_is_shown_no_button_that_would_write(key, app, db):
    world = World(app, db)
    page = world.path(_routes(app)[key], TABLE[key], fresh=False)
    html = world.call(key, "verifier").get_data(as_text=True)
    writing = []
    for form in re.findall(r'<form\b[^>]*method="post"[^>]*>.*?</form>', html, re.S | re.I):
        action = re.search(r'action="([^"]*)"', form)
        target = urlsplit(action.group(1) if action else page).path
        if target not in SESSION_FORMS and re.search(r'<button|type="submit"', form):
            writing.append(target)
    assert writing == []


def test_the_hand_over_lists_leave_out_the_auditor_who_may_not_take_a_task(app, db):
    page = World(app, db).call(("tasks.show", "GET"), "admin").get_data(as_text=True)
    offered, others = (re.findall(r'<option value="([^"]+)"', select.split("</select>")[0])
                       for select in page.split('name="to_user"')[1:3])
    assert offered == ["head_prod"]  # the head of the owner's department, the one it is offered to
    assert "staff_prod" in others and "verifier" not in offered + others and "admin" not in offered + others
