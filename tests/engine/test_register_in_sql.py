"""The register filtered, counted and paged in SQL gives what reading every nonconformity in Python gave.

A few dozen corrective actions are started through the engine and then put, row by row, in every state the
register tells apart (open, overdue by a step, closed, closed late by a step or by an overdue round, ended
otherwise), with facts that try the filters' edges (sub-clauses, letters after a clause, case, Unicode, LIKE's
wildcards, a missing or unreadable day found). The reference below is the register as it was computed before
issue 21: every instance read, its status and the filter applied in Python.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from engine.models import HumanTask, InstanceLink, ProcessInstance
from engine.read import dashboard, nonconformities
from engine.read.nonconformities import Nonconformity, NonconformityFilter, RaisedBy
from tests.factories import start_corrective_action

NOW = datetime(2026, 9, 15, 4, 30, tzinfo=timezone.utc)
PLANT = ZoneInfo("Asia/Shanghai")
CLAUSES = ("8.1.3", "8.1", "8.10.2", "8.1a", "6.3.2", "7.5.1", None, "8.1.3")
TITLES = ("Kiln {n} meter drift", "ÉMISSION factor {n} stale", "ＡＢＣ meter {n}", "50% load_{n} missing",
          "窑炉 {n} 计量偏差")
DEPARTMENTS = ("production", "energy", None)
DETECTED = (0, 10, 29, 30, 31, 89, 90, 179, 180, 400, -5, None, "not a day")  # days before NOW, or odd values
FILTERS = [
    NonconformityFilter(),
    *(NonconformityFilter(status=status) for status in (*nonconformities.STATUSES, "unknown")),
    *(NonconformityFilter(source=source) for source in ("internal_audit", "raised_by_hand")),
    *(NonconformityFilter(severity=severity) for severity in nonconformities.SEVERITIES),
    *(NonconformityFilter(clause=clause) for clause in ("8", "8.1", " 8.1 ", "8.1.3", "8.10", "6", "9", "8.")),
    NonconformityFilter(department="energy"),
    *(NonconformityFilter(search=text) for text in ("KILN 1", "émission", "ａｂｃ", "50%", "load_1", "%", "_",
                                                    "nc-00", "窑炉", "  ", "nothing like it")),
    NonconformityFilter(since=NOW - timedelta(days=60)),
    NonconformityFilter(until=NOW - timedelta(days=60)),
    NonconformityFilter(status="open", since=NOW - timedelta(days=120), until=NOW - timedelta(days=20)),
    NonconformityFilter(status="closed_late", clause="8.1", department="production"),
    NonconformityFilter(status="overdue", severity="major", search="meter"),
]


@pytest.fixture
def seeded(db):
    """Forty nonconformities in every state, raised over the half-year before NOW (ids: the newest last)."""
    ids = [start_corrective_action(db, business_key=f"NC-{n:03d}") for n in range(40)]
    with db.transaction() as session:
        for n, instance_id in enumerate(ids):
            _shape(session, n, session.get(ProcessInstance, instance_id))
        for n in range(0, 40, 6):  # some were raised by another (any instance will do as the raiser)
            session.add(InstanceLink(source_instance_id=ids[(n + 1) % 40], target_instance_id=ids[n],
                                     kind=nonconformities.RAISED_LINK, created_by="test", created_at=NOW))
    return ids


def _shape(session, n: int, instance: ProcessInstance) -> None:
    """Put instance ``n`` in one of the states and give it facts, deterministically."""
    data = dict(instance.data)
    data.update(title=TITLES[n % len(TITLES)].format(n=n), source=nonconformities.SOURCES[n % 7],
                clause=CLAUSES[n % len(CLAUSES)], department=DEPARTMENTS[n % 3],
                severity=(*nonconformities.SEVERITIES, None)[n % 4], overdue_rounds=1 if n % 12 == 8 else 0)
    detected = DETECTED[n % len(DETECTED)]
    if detected is None:
        data.pop("detected_on", None)
    else:
        data["detected_on"] = detected if isinstance(detected, str) else (NOW.date() - timedelta(days=detected)).isoformat()
    instance.data = data
    instance.started_at = NOW - timedelta(days=4 * n + 1, hours=n)
    instance.business_key = None if n == 7 else instance.business_key
    [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id))
    state = n % 6
    task.due_at = task.sort_due_at = NOW + timedelta(days=-3 if state == 1 or n % 12 == 11 else 3)
    if state in (2, 3, 4):  # closed: on time, with a step done late, or (n % 12 == 8) after an overdue round
        task.status, task.completed_by = "completed", "body"
        task.completed_at = task.due_at + timedelta(hours=1 if state == 3 else -1)
        instance.status, instance.ended_at = "completed", NOW - timedelta(days=n % 9)
    elif state == 5:
        instance.status = "terminated"  # ended otherwise: still an open case in the register


def reference(session, where: NonconformityFilter, now: datetime) -> list[Nonconformity]:
    """The register as computed before issue 21: everything read, then status and filter in Python."""
    instances = session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == "corrective_action")
                                .order_by(ProcessInstance.id.desc()))
    tasks = list(session.scalars(select(HumanTask)))
    overdue = {t.instance_id for t in tasks if t.status == "ready" and t.sort_due_at < now}
    late = {t.instance_id for t in tasks if t.status == "completed" and t.due_at and t.completed_at > t.due_at}
    links = {link.target_instance_id: session.get(ProcessInstance, link.source_instance_id)
             for link in session.scalars(select(InstanceLink).where(InstanceLink.kind == "nonconformity_raised"))}
    rows = [_reference_row(i, now, i.id in overdue, i.id in late, links.get(i.id)) for i in instances]
    return [nc for nc in rows if _reference_keeps(where, nc)]


def _reference_row(i: ProcessInstance, now: datetime, overdue: bool, late: bool, raiser) -> Nonconformity:
    data, closed = i.data or {}, i.status == "completed"
    rounds = int(data.get("overdue_rounds") or 0)
    status = ("closed_late" if late or rounds else "closed") if closed else ("overdue" if overdue else "open")
    detected = _day(data.get("detected_on")) or i.started_at.date()
    until = (i.ended_at or now).date() if closed else now.date()
    return Nonconformity(
        i.id, i.business_key, str(data.get("title") or ""), data.get("source"), data.get("clause"),
        data.get("severity"), data.get("owner"), data.get("department"), detected, i.started_at, i.started_by,
        _day(data.get("correction_due")), status, max((until - detected).days, 0), i.ended_at if closed else None,
        i.status, int(data.get("review_rounds") or 0), rounds,
        RaisedBy(raiser.id, raiser.process_id, raiser.business_key) if raiser else None)


def _reference_keeps(where: NonconformityFilter, nc: Nonconformity) -> bool:
    if where.since and nc.raised_at < where.since or where.until and nc.raised_at >= where.until:
        return False
    if where.status and (nc.status not in ("open", "overdue") if where.status == "open" else nc.status != where.status):
        return False
    prefix = (where.clause or "").strip()
    if where.clause and not (nc.clause and (nc.clause == prefix or nc.clause.startswith(prefix + ".") or (
            nc.clause.startswith(prefix) and nc.clause[len(prefix):].isalpha()))):
        return False
    needle = (where.search or "").strip().lower()
    if needle not in nc.title.lower() and needle not in (nc.business_key or "").lower():
        return False
    return all(not wanted or getattr(nc, name) == wanted
               for name, wanted in (("source", where.source), ("severity", where.severity),
                                    ("department", where.department)))


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def test_the_seeded_register_holds_every_state_the_filters_tell_apart(db, seeded):
    with db.reading() as session:
        every = reference(session, NonconformityFilter(), NOW)
    assert Counter(nc.status for nc in every) == {"open": 10, "overdue": 10, "closed": 10, "closed_late": 10}
    assert sum(nc.raised_by is not None for nc in every) == 7


def test_each_filter_gives_the_rows_and_order_of_the_python_register(db, seeded):
    with db.reading() as session:
        for where in FILTERS:
            assert nonconformities.register(session, where=where, now=NOW) == reference(session, where, NOW), where


def test_counts_are_the_tabs_of_the_period_and_the_rows_that_pass_the_filter(db, seeded):
    with db.reading() as session:
        for where in FILTERS:
            statuses = Counter(nc.status for nc in reference(
                session, NonconformityFilter(since=where.since, until=where.until), NOW))
            found = nonconformities.counts(session, where=where, now=NOW)
            assert found.tabs == {"": statuses.total(), "open": statuses["open"] + statuses["overdue"],
                                  **{s: statuses[s] for s in ("overdue", "closed", "closed_late")}}, where
            assert found.matching == len(reference(session, where, NOW)), where


@pytest.mark.parametrize("where", [NonconformityFilter(), NonconformityFilter(status="open"),
                                   NonconformityFilter(clause="8.1", search="meter")], ids=repr)
def test_pages_of_seven_cut_the_same_list_in_order(db, seeded, where):
    with db.reading() as session:
        expected = reference(session, where, NOW)
        pages = [nonconformities.register(session, where=where, now=NOW, limit=7, offset=at)
                 for at in range(0, len(expected) + 7, 7)]
    assert [nc for page in pages for nc in page] == expected
    assert all(len(page) == 7 for page in pages[:len(expected) // 7]) and pages[-1] == []


def test_one_nonconformity_read_alone_is_its_row_of_the_register(db, seeded):
    with db.reading() as session:
        for nc in reference(session, NonconformityFilter(), NOW):
            assert nonconformities.get(session, nc.instance_id, now=NOW) == nc


@pytest.mark.parametrize("moment", [NOW, NOW + timedelta(days=45), NOW - timedelta(days=2)], ids=str)
def test_open_figures_are_those_of_the_full_register(db, seeded, moment):
    with db.reading() as session:
        opened = [nc for nc in reference(session, NonconformityFilter(), moment) if nc.is_open]
        figures = nonconformities.open_figures(session, now=moment)
    assert (figures.count, figures.overdue) == (len(opened), sum(nc.status == "overdue" for nc in opened))
    assert figures.by_age == Counter(nc.age_days for nc in opened)
    assert figures.by_severity == Counter(nc.severity for nc in opened)


def test_the_dashboard_counts_open_nonconformities_by_age_and_severity_as_the_register_states_them(db, seeded):
    with db.reading() as session:
        opened = [nc for nc in reference(session, NonconformityFilter(), NOW) if nc.is_open]
        seen = dashboard.snapshot(session, "gm", zone=PLANT, now=NOW)
    ages = [nc.age_days for nc in opened]
    assert (seen.open_nonconformities, seen.overdue_nonconformities) == (20, 10)
    assert [(bar.label, bar.value) for bar in seen.nonconformities_by_age] == [
        (label, sum(low <= age and (high is None or age < high) for age in ages))
        for low, high, label in dashboard.AGE_BUCKETS]
    severities = Counter(nc.severity for nc in opened)
    assert [(bar.key, bar.value) for bar in seen.nonconformities_by_severity] == [
        (s, severities[s]) for s in dashboard.SEVERITY_ORDER if severities[s]]


def test_the_page_and_the_dashboard_build_no_row_they_do_not_show(db, seeded, monkeypatch):
    built = []
    real = nonconformities._nonconformity
    monkeypatch.setattr(nonconformities, "_nonconformity", lambda *args: built.append(args) or real(*args))
    with db.reading() as session:
        nonconformities.counts(session, where=NonconformityFilter(status="open"), now=NOW)
        nonconformities.open_figures(session, now=NOW)
        dashboard.snapshot(session, "gm", zone=PLANT, now=NOW)
        assert built == []
        nonconformities.register(session, where=NonconformityFilter(status="open"), now=NOW, limit=5, offset=5)
    assert len(built) == 5


def test_an_export_reads_the_whole_register_whatever_its_size(db, seeded, monkeypatch):
    monkeypatch.setattr(nonconformities, "RAISERS_AT_ONCE", 4)  # who raised them is read in several rounds
    with db.reading() as session:
        assert nonconformities.register(session, now=NOW) == reference(session, NonconformityFilter(), NOW)


def test_a_later_moment_makes_an_open_step_overdue_in_sql_too(db, seeded):
    with db.reading() as session:
        before = nonconformities.counts(session, where=NonconformityFilter(status="overdue"), now=NOW)
        after = nonconformities.counts(session, where=NonconformityFilter(status="overdue"),
                                       now=NOW + timedelta(days=10))
    assert (before.matching, after.matching) == (10, 20)


def test_on_sqlite_each_status_looks_the_steps_up_by_their_instance(db, seeded):
    if not db.is_sqlite:
        pytest.skip("the plan checked is SQLite's (PostgreSQL's planner has the table's statistics)")
    statements = []

    def listen(_connection, _cursor, statement, parameters, *_) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with db.reading() as session:
            nonconformities.counts(session, where=NonconformityFilter(), now=NOW)
            statement, parameters = statements[-1]
            plan = [row[-1] for row in session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters)]
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    steps = [line for line in plan if "human_tasks" in line]
    # Without statistics SQLite would range-scan the due-time index once per nonconformity (seconds at 5,000).
    assert steps and all("ix_human_tasks_instance_id" in line for line in steps), plan
