"""Repeating periods (ISO 8601 durations such as P1Y): the n-th repetition after an anchor, on the calendar.

Each repetition is counted from the anchor, in the anchor's own time zone, so a yearly start on
1 March at 09:00 at the plant stays there, and a monthly one on the 31st falls on the last day of
shorter months without drifting.
"""
from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
MAX_REPETITIONS = 1_000_000


class InvalidPeriod(ValueError):
    """Raised for a text that is not a positive ISO 8601 duration."""


@dataclass(frozen=True)
class Period:
    """A positive duration: calendar months (years count twelve) plus a fixed length."""

    text: str
    months: int
    fixed: timedelta

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _DURATION.match(text.strip().upper()) if text else None
        if match is None or text.strip().upper() in ("P", "PT"):
            raise InvalidPeriod(f"{text!r} is not an ISO 8601 duration such as P1Y, P6M or P14D")
        years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
        period = cls(text, 12 * years + months,
                     timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds))
        if period.months == 0 and period.fixed <= timedelta(0):
            raise InvalidPeriod(f"{text!r} is zero: a repeating period must be longer than that")
        return period

    def times(self, anchor: datetime, n: int) -> datetime:
        """The anchor moved on by n periods: months on the calendar (day clamped), then the fixed part."""
        year, month = divmod(anchor.month - 1 + n * self.months, 12)
        year += anchor.year
        day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
        return anchor.replace(year=year, month=month + 1, day=day) + n * self.fixed

    def first_after(self, anchor: datetime, moment: datetime, *, strictly: bool = False) -> datetime:
        """The first repetition of the anchor at or after ``moment`` (after it, when ``strictly``)."""
        def late_enough(candidate: datetime) -> bool:
            return candidate > moment if strictly else candidate >= moment

        if late_enough(anchor):
            return anchor
        length = timedelta(days=30.436875 * self.months) + self.fixed  # an average month: a good first guess
        n = max(0, math.floor((moment - anchor) / length) - 2)
        for n in range(n, n + MAX_REPETITIONS):
            candidate = self.times(anchor, n)
            if late_enough(candidate):
                return candidate
        raise InvalidPeriod(f"{self.text!r} repeats too often to reach {moment:%Y-%m-%d} from {anchor:%Y-%m-%d}")
