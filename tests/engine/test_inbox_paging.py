"""The inbox at scale: pages by keyset (after or before a cursor) and counts that stop at a cap, on every backend."""
from __future__ import annotations

import pytest

from engine import clock
from engine.models import HumanTask
from engine.models.tasks import NO_DUE_DATE
from engine.people import get_actor
from engine.read import queries
from engine.read.queries import Cursor
from tests.factories import seed_open_tasks

def _walk(session, user, size: int, **filters) -> list[list[int]]:
    """Every page of ``size`` from the first, each after the last one's final task."""
    pages, after = [], None
    while True:
        page = queries.tasks_for_user(session, user, limit=size, after=after, **filters)
        if not page:
            return pages
        pages.append([t.id for t in page])
        after = Cursor.of(page[-1])


def test_keyset_pages_cover_every_task_once_in_due_order_ties_by_id(db):
    seed_open_tasks(db, 40, no_due=4)
    with db.reading() as session:
        body = get_actor(session, "body")
        everything = queries.tasks_for_user(session, body, limit=1000)
        pages = _walk(session, body, 7)
    ordered = [t.id for t in sorted(everything, key=lambda t: (t.sort_due_at, t.id))]
    assert [i for page in pages for i in page] == ordered == [t.id for t in everything]
    assert [len(p) for p in pages][:-1] == [7] * (len(pages) - 1)
    assert everything[-1].due_at is None  # the tasks without a due time come last, and page like the others


def test_the_page_before_a_cursor_is_the_page_that_led_to_it(db):
    seed_open_tasks(db, 30)
    with db.reading() as session:
        body = get_actor(session, "body")
        pages = _walk(session, body, 5)
        for earlier, later in zip(pages, pages[1:], strict=False):
            back = queries.tasks_for_user(session, body, limit=5,
                                          before=Cursor.of(session.get(HumanTask, later[0])))
            assert [t.id for t in back] == earlier


def test_keyset_pages_keep_the_filters_and_a_filter_matching_nothing_is_empty(db):
    seed_open_tasks(db, 24)
    with db.reading() as session:
        body = get_actor(session, "body")
        found = [i for page in _walk(session, body, 4, search="Seeded task 01") for i in page]
        titles = [session.get(HumanTask, i).title_en for i in found]
        assert titles == [f"Seeded task {n:03d}" for n in range(10, 20)]
        assert queries.tasks_for_user(session, body, process_id="no_such_process", limit=50) == []


@pytest.mark.parametrize(("seeded", "shown"), [(0, 1), (4, 5), (98, 99), (99, 100), (250, 100)])
def test_a_capped_count_is_exact_up_to_the_cap_and_cap_plus_one_beyond(db, seeded, shown):
    seed_open_tasks(db, seeded)  # beside the corrective action's own first task, offered to the body too
    with db.reading() as session:
        body = get_actor(session, "body")
        exact = queries.count_tasks_for_user(session, body)
        capped = queries.count_tasks_for_user(session, body, cap=queries.COUNT_CAP)
    assert exact == seeded + 1
    assert capped == shown == min(exact, queries.COUNT_CAP + 1)


def test_capped_counts_of_the_tabs_mine_and_overdue(db):
    seed_open_tasks(db, 12, role="carbon_staff", assignee="body")  # assigned to body: due from 10 hours ago, in threes
    with db.reading() as session:
        body = get_actor(session, "body")
        mine = queries.count_tasks_for_user(session, body, scope="mine", cap=5)
        overdue = queries.count_tasks_for_user(session, body, scope="mine", overdue=True, now=clock.now(), cap=50)
        exact = queries.count_tasks_for_user(session, body, scope="mine", overdue=True, now=clock.now())
    assert mine == 6  # more than 5: the page says "5+"
    assert overdue == exact == 12


def test_a_cursor_travels_as_a_token_and_nonsense_is_no_cursor():
    cursor = Cursor(NO_DUE_DATE, 42)
    assert Cursor.parse(cursor.token()) == cursor
    for bad in (None, "", "abc", "1.2.3", "12", ".5", "9" * 30 + ".1", "1.-2"):
        assert Cursor.parse(bad) is None, bad


def test_the_tab_counts_in_one_round_trip_match_the_counts_one_by_one(db):
    seed_open_tasks(db, 7, role="carbon_body", assignee="body")
    seed_open_tasks(db, 40)
    with db.reading() as session:
        body, now = get_actor(session, "body"), clock.now()
        tabs = queries.count_tabs(session, body, now=now, cap=30)
        one_by_one = {"mine": queries.count_tasks_for_user(session, body, scope="mine"),
                      "candidate": queries.count_tasks_for_user(session, body, scope="candidate"),
                      "overdue": queries.count_tasks_for_user(session, body, overdue=True, now=now)}
    assert one_by_one == {"mine": 7, "candidate": 42, "overdue": 40}  # both seeds: due from 10 hours ago
    assert tabs == {"mine": 7, "candidate": 31, "overdue": 31, "all": 31}  # past the cap: "30+"
