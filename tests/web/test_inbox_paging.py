"""The inbox pages by keyset (Next after the last task shown, Previous before the first) and its tab counts stop
at 99+, so a long list costs the reader no more than a short one."""
from __future__ import annotations

import re

from tests.factories import seed_open_tasks


def _shown(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr class="[^"]*" data-task="(\d+)"', html)]


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_next_and_previous_walk_the_list_by_due_time_and_back(db, sign_in):
    ordered = seed_open_tasks(db, 60, no_due=5)
    client = sign_in("body")
    first = client.get("/inbox?tab=candidate").get_data(as_text=True)
    assert _shown(first) == ordered[:25] and _link(first, "prev") is None
    second = client.get(_link(first, "next")).get_data(as_text=True)
    assert _shown(second) == ordered[25:50] and 'class="first-page"' in second
    third = client.get(_link(second, "next")).get_data(as_text=True)
    assert _shown(third) == ordered[50:] and _link(third, "next") is None
    back = client.get(_link(third, "prev")).get_data(as_text=True)
    assert _shown(back) == ordered[25:50] and _link(back, "next") is not None
    assert _shown(client.get(_link(back, "prev")).get_data(as_text=True)) == ordered[:25]


def test_the_next_page_keeps_the_search(db, sign_in):
    ordered = seed_open_tasks(db, 140)
    client = sign_in("body")
    first = client.get("/inbox?tab=candidate&q=Seeded+task+1").get_data(as_text=True)
    assert "q=Seeded" in _link(first, "next")
    second = client.get(_link(first, "next")).get_data(as_text=True)
    assert _shown(first) + _shown(second) == ordered[100:140]  # "Seeded task 100" to "139": 40 of them
    assert _link(second, "next") is None


def test_a_cursor_that_is_not_one_shows_the_first_page(db, sign_in):
    ordered = seed_open_tasks(db, 30)
    client = sign_in("body")
    page = client.get("/inbox?tab=candidate&after=drop+table").get_data(as_text=True)
    assert _shown(page) == ordered[:25]


def test_tab_counts_stop_at_99_plus(db, sign_in):
    seed_open_tasks(db, 120)
    client = sign_in("body")
    page = client.get("/inbox").get_data(as_text=True)
    assert re.search(r'data-tab="candidate"[^>]*>[^<]*<span class="count">99\+</span>', page)
    assert re.search(r'data-tab="mine"[^>]*>[^<]*<span class="count">0</span>', page)
