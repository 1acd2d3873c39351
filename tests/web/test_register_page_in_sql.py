"""The register page reads one page of rows and its counts from SQL: the same rows, tabs, total and pages."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest

from engine import clock
from engine.read import nonconformities
from engine.read.exports.period import ReportingPeriod
from engine.read.nonconformities import NonconformityFilter
from tests.engine.test_register_in_sql import NOW, reference, seeded  # noqa: F401  (a fixture)
from tests.web.test_nonconformity_pages import _register_keys

pytestmark = pytest.mark.usefixtures("seeded")  # forty nonconformities in every state, raised before NOW
SINCE_JUNE = ReportingPeriod.parse("2026-06-01", None, "Asia/Shanghai").since  # ?from= is a day at the plant


@pytest.fixture
def verifier(sign_in, monkeypatch):
    """The auditor's client, on pages of 4 rows."""
    from webui import audit as audit_pages

    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 4)
    return sign_in("verifier")


def _page(client, query: str) -> str:
    with clock.frozen_at(NOW):
        response = client.get(f"/audit/nonconformities?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _tab_counts(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', html.split('class="tabs"', 1)[1])[:5]]


@pytest.mark.parametrize(("query", "where"), [
    ("", NonconformityFilter()),
    ("status=open", NonconformityFilter(status="open")),
    ("clause=8.1&department=production", NonconformityFilter(clause="8.1", department="production")),
    ("q=METER&status=overdue", NonconformityFilter(search="METER", status="overdue")),
    ("from=2026-06-01&status=closed_late", NonconformityFilter(status="closed_late", since=SINCE_JUNE)),
    ("severity=critical&source=communication&q=zzz", NonconformityFilter(severity="critical", search="zzz")),
], ids=["all", "open", "clause and department", "search and status", "period and status", "nothing"])
def test_each_page_shows_its_slice_of_the_register_with_the_period_s_tabs_and_the_filter_s_total(
        db, verifier, query, where):
    with db.reading() as session:
        keys = [nc.business_key or f"#{nc.instance_id}" for nc in reference(session, where, NOW)]
        period = Counter(nc.status for nc in reference(session, NonconformityFilter(since=where.since), NOW))
    first = _page(verifier, query)
    assert _tab_counts(first) == [period.total(), period["open"] + period["overdue"], period["overdue"],
                                  period["closed"], period["closed_late"]]
    assert f"{len(keys)} 项不符合" in first
    if not keys:
        assert '<p class="empty">' in first
        return
    pages = (len(keys) + 3) // 4
    shown = [_register_keys(_page(verifier, f"{query}&page={p}")) for p in range(1, pages + 1)]
    assert [key for page in shown for key in page] == keys
    assert all(len(page) == 4 for page in shown[:-1])
    assert _register_keys(_page(verifier, f"{query}&page={pages + 5}")) == shown[-1]  # kept to the last page


def test_the_page_builds_only_the_rows_it_shows(verifier, monkeypatch):
    built = []
    real = nonconformities._nonconformity
    monkeypatch.setattr(nonconformities, "_nonconformity", lambda *args: built.append(args) or real(*args))
    assert len(_register_keys(_page(verifier, "page=2"))) == len(built) == 4


def test_open_steps_past_due_move_to_the_overdue_tab(verifier):
    with clock.frozen_at(NOW + timedelta(days=10)):  # every open step was due within 3 days
        html = verifier.get("/audit/nonconformities?status=overdue").get_data(as_text=True)
    assert _tab_counts(html)[1:3] == [20, 20]
    assert _tab_counts(_page(verifier, "status=overdue"))[1:3] == [20, 10]
