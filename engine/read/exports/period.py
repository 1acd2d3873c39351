"""A reporting period: whole days on the plant's calendar, from one date to another (both included)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from engine.errors import InvalidFormData


@dataclass(frozen=True)
class ReportingPeriod:
    """From the start of ``first`` to the end of ``last`` in the plant's time zone; either end may be open."""

    first: date | None
    last: date | None
    zone: ZoneInfo

    @classmethod
    def parse(cls, first: str | None, last: str | None, zone: str) -> ReportingPeriod:
        """From ISO dates as typed (empty means open); InvalidFormData names a bad or reversed date."""
        period = cls(_date(first, "from"), _date(last, "to"), ZoneInfo(zone))
        if period.first and period.last and period.first > period.last:
            raise InvalidFormData("period", {"to": [f"{period.last} is before {period.first}"]})
        return period

    @classmethod
    def year(cls, year: int, zone: str) -> ReportingPeriod:
        return cls(date(year, 1, 1), date(year, 12, 31), ZoneInfo(zone))

    @property
    def since(self) -> datetime | None:
        return self._start_of(self.first) if self.first else None

    @property
    def until(self) -> datetime | None:
        """The first moment after the period (exclusive end); None (open) when it ends on the calendar's last day."""
        return self._start_of(self.last + timedelta(days=1)) if self.last and self.last < date.max else None

    @property
    def label(self) -> str:
        return f"{self.first or '…'} – {self.last or '…'} ({self.zone.key})"

    def _start_of(self, day: date) -> datetime:
        try:
            return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc)
        except OverflowError:  # 0001-01-01 east of UTC begins before the first moment a datetime holds
            return datetime.min.replace(tzinfo=timezone.utc)


def _date(text: str | None, field: str) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidFormData("period", {field: [f"{text!r} is not a date (YYYY-MM-DD)"]}) from None
