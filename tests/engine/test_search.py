"""The inbox's search box: the same rows, in the same order, whether an index answers or the inbox is scanned."""
from __future__ import annotations

import pytest

from engine.people import get_actor
from engine.read import queries, text_search
from tests.factories import complete, start_corrective_action


def _titles(db, term: str, username: str = "body") -> list[str]:
    with db.reading() as session:
        return [t.title_en for t in queries.tasks_for_user(session, get_actor(session, username), search=term)]


def _scanned(db, monkeypatch, term: str, username: str = "body") -> list[str]:
    with monkeypatch.context() as patched:
        patched.setattr(text_search, "open_task_ids", lambda *_a, **_k: None)
        return _titles(db, term, username)


@pytest.fixture
def plant(db):
    """Four corrective actions: three waiting for the body, one gone on (its first task completed)."""
    for key, title in (("NC-KILN-01", "Kiln 2 gas meter out of calibration"), ("NC-KILN-02", "窑炉烟气分析仪漂移"),
                       ("NC-100%", "Percent sign in the key"), ("NC-DONE", "Kiln 3 finished step")):
        start_corrective_action(db, business_key=key, title=title)
    done = start_corrective_action(db, business_key="NC-GONE", title="Kiln 4 moved on")
    complete(db, done, "evaluate_consequences", "body")
    return db


@pytest.mark.parametrize(("term", "keys"), [
    ("NC-KILN", ["NC-KILN-01", "NC-KILN-02"]),
    ("kiln", ["NC-KILN-01", "NC-KILN-02", "NC-DONE"]),  # either case; the title or the key
    ("烟气分析", ["NC-KILN-02"]),  # Chinese, inside a title
    ("100%", ["NC-100%"]),  # a % is a character, not a wildcard
    ("C-", ["NC-KILN-01", "NC-KILN-02", "NC-100%", "NC-DONE"]),  # two characters: scanned
    ("Evaluate", ["NC-KILN-01", "NC-KILN-02", "NC-100%", "NC-DONE"]),  # the task's own title
    ("nothing like it", []),
])
def test_a_search_finds_the_open_tasks_by_title_or_instance_in_due_order(plant, monkeypatch, term, keys):
    with plant.reading() as session:
        found = queries.tasks_for_user(session, get_actor(session, "body"), search=term)
        by_key = queries.business_keys(session, [t.instance_id for t in found])
    assert [by_key[t.instance_id] for t in found] == keys
    assert _titles(plant, term) == _scanned(plant, monkeypatch, term)


def test_the_index_answers_a_selective_search_and_leaves_a_broad_or_short_one_to_the_scan(plant, monkeypatch):
    with plant.reading() as session:
        selective = text_search.open_task_ids(session, "烟气分析", cap=10)
        short = text_search.open_task_ids(session, "窑炉", cap=10)
        broad = text_search.open_task_ids(session, "Kiln", cap=1)
    assert selective is not None and len(selective) == 1
    assert short is None and broad is None
    assert _titles(plant, "窑炉") == ["Evaluate and handle the consequences"]


def test_a_search_keeps_the_other_filters_and_pages(plant):
    with plant.reading() as session:
        body = get_actor(session, "body")
        first = queries.tasks_for_user(session, body, search="NC-KILN", limit=1)
        second = queries.tasks_for_user(session, body, search="NC-KILN", limit=1, after=queries.Cursor.of(first[0]))
        other_process = queries.tasks_for_user(session, body, search="NC-KILN", process_id="internal_audit")
        staff = queries.tasks_for_user(session, get_actor(session, "staff_energy"), search="NC-KILN")
    assert len(first) == len(second) == 1 and first[0].id != second[0].id
    assert other_process == [] and staff == []
