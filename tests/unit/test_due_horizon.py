"""The inbox's due filters end on the plant's calendar, not UTC's."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from engine.read.queries import due_horizon

LATE_EVENING_AT_THE_PLANT = datetime(2026, 12, 6, 15, 30, tzinfo=timezone.utc)  # 23:30 in Shanghai


def test_today_ends_at_the_plants_midnight():
    end = due_horizon("today", LATE_EVENING_AT_THE_PLANT, "Asia/Shanghai")
    assert end.astimezone(timezone.utc) == datetime(2026, 12, 6, 16, 0, tzinfo=timezone.utc) - timedelta(microseconds=1)


def test_a_week_is_today_and_the_six_days_after_it():
    end = due_horizon("week", LATE_EVENING_AT_THE_PLANT, "Asia/Shanghai")
    assert end.isoformat() == "2026-12-12T23:59:59.999999+08:00"


def test_a_plant_on_utc_ends_its_day_at_utc_midnight():
    assert due_horizon("today", LATE_EVENING_AT_THE_PLANT, "UTC").isoformat() == "2026-12-06T23:59:59.999999+00:00"
