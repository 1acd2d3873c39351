"""Repeating periods count from their anchor on the plant's calendar, without drift."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.periods import InvalidPeriod, Period

PLANT = ZoneInfo("Asia/Shanghai")


def test_monthly_repetitions_clamp_to_short_months_without_drifting():
    anchor = datetime(2027, 1, 31, 6, 0, tzinfo=PLANT)
    monthly = Period.parse("P1M")
    assert [monthly.times(anchor, n).date().isoformat() for n in range(4)] == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]


def test_a_yearly_start_stays_on_its_day_and_local_hour():
    anchor = datetime(2027, 3, 1, 6, 0, tzinfo=PLANT)
    yearly = Period.parse("P1Y")
    run = yearly.first_after(anchor, datetime(2031, 5, 1, tzinfo=PLANT))
    assert (run.year, run.month, run.day, run.hour) == (2032, 3, 1, 6)
    assert yearly.first_after(anchor, anchor) == anchor
    assert yearly.first_after(anchor, anchor, strictly=True).year == 2028


def test_short_fixed_periods_reach_far_moments_at_once():
    anchor = datetime(2020, 1, 1, tzinfo=PLANT)
    run = Period.parse("PT1M").first_after(anchor, anchor + timedelta(days=3650, seconds=30))
    assert run == anchor + timedelta(days=3650, minutes=1)


@pytest.mark.parametrize("text", ["", "P", "PT", "P0D", "PT0S", "yearly", "1Y", "P1.5Y"])
def test_zero_or_malformed_periods_are_refused(text):
    with pytest.raises(InvalidPeriod):
        Period.parse(text)
