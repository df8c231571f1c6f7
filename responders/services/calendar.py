"""Business-hours calendars: count working seconds between two instants and add working time to an instant.

All arithmetic is done in UTC; windows are built from local wall-clock times of the calendar's zone, so a
day on which daylight saving time changes still opens at 09:00 local time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3660  # add() gives up after ten years of calendar without a working minute


class WallCalendar:
    """Every second counts: the 24/7 calendar."""

    name = "wall"

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds from `start` to `end` (0 if end is not after start)."""
        return max(0.0, (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds())

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` after `start`."""
        return start.astimezone(UTC) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working windows per weekday in a time zone, minus public and extra holidays."""

    tz: ZoneInfo
    hours: dict[int, tuple[time, time]]
    country: str = ""
    subdiv: str | None = None
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    name: str = "business"

    def __post_init__(self) -> None:
        if not self.hours:
            raise ValueError("a business calendar needs at least one working day")
        for start, end in self.hours.values():
            if end <= start:
                raise ValueError(f"working window {start}-{end} ends before it starts")
        public = holidays_lib.country_holidays(self.country, subdiv=self.subdiv) if self.country else {}
        object.__setattr__(self, "_public", public)

    def is_working_day(self, day: date) -> bool:
        """True if `day` has a window and is neither a public nor an extra holiday."""
        return day.weekday() in self.hours and day not in self.extra_holidays and day not in self._public

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working windows (UTC) from the local day of `start` onwards, the first one clipped to `start`."""
        start = start.astimezone(UTC)
        day = start.astimezone(self.tz).date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self.hours[day.weekday()]
                a = datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC)
                b = datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC)
                if b > start:
                    yield max(a, start), b
            day += timedelta(days=1)
        raise ValueError(f"no working time within {MAX_DAYS} days of {start:%Y-%m-%d}")

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end)."""
        end = end.astimezone(UTC)
        total = 0.0
        if end <= start.astimezone(UTC):
            return total
        for a, b in self.windows(start):
            if a >= end:
                break
            total += (min(b, end) - a).total_seconds()
        return total

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant at which `seconds` of working time have passed since `start`."""
        remaining = max(0.0, seconds)
        if remaining == 0:
            return start.astimezone(UTC)
        for a, b in self.windows(start):
            span = (b - a).total_seconds()
            if remaining <= span:
                return a + timedelta(seconds=remaining)
            remaining -= span
        raise AssertionError("unreachable: windows() raises first")


Calendar = WallCalendar | BusinessCalendar


def _window(spec: str) -> tuple[time, time]:
    try:
        a, b = (time.fromisoformat(x.strip()) for x in spec.split("-"))
    except ValueError as exc:
        raise ValueError(f"working window {spec!r} is not HH:MM-HH:MM") from exc
    return a, b


def business_calendar(cfg: dict) -> BusinessCalendar:
    """Build a calendar from the `sla.business_hours` section of rules.yaml."""
    days = cfg.get("days") or {d: "09:00-18:00" for d in WEEKDAYS[:5]}
    unknown = set(days) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday(s) {', '.join(sorted(unknown))}: use {', '.join(WEEKDAYS)}")
    hol = cfg.get("holidays") or {}
    return BusinessCalendar(
        tz=ZoneInfo(cfg.get("time_zone") or "Europe/Moscow"),
        hours={WEEKDAYS.index(d): _window(spec) for d, spec in days.items()},
        country=hol.get("country", ""),
        subdiv=hol.get("subdiv"),
        extra_holidays=frozenset(date.fromisoformat(str(d)) for d in cfg.get("extra_holidays") or ()),
    )
