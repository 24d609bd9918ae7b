"""Working days in England and Wales, and policy durations that count them.

Deadlines in the brief count working days with bank holidays excluded; demos
and tests need seconds instead, so a duration is either a whole number of
working days or an ISO-8601 duration.

Days are the days of Europe/London, whatever zone a moment is given in: one
working day from Friday 00:30 BST is Monday 00:30 BST, not Saturday (as the
UTC date, Thursday, would make it), and a deadline keeps its local time of
day across a change of the clocks. Clocks change on Sundays, so every working
day is 24 hours long and every local time on it exists exactly once.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from domain.errors import InvalidField

_ISO_DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


LONDON = ZoneInfo("Europe/London")


def working_day_on_or_after(day: date) -> date:
    """`day` itself if it is a working day, else the next one (Saturday to Monday,
    Good Friday to the Tuesday after Easter Monday)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def london_date(moment: datetime) -> date:
    """The date in London at `moment` (a moment without a zone is London's): between
    midnight and 1am in summer, the UTC date is still the day before."""
    return _london(moment).date()


def add_working_days(start: datetime, days: int) -> datetime:
    """The same London time of day, `days` working days after (or, negative, before)
    `start`, in `start`'s own zone. A moment without a zone is taken as London's."""
    local = _london(start)
    day, remaining, step = local.date(), abs(days), 1 if days >= 0 else -1
    while remaining > 0:
        day += timedelta(days=step)
        if is_working_day(day):
            remaining -= 1
    moved = datetime.combine(day, local.time(), tzinfo=LONDON)
    return moved.astimezone(start.tzinfo) if start.tzinfo else moved.replace(tzinfo=None)


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """How much of the time from `start` to `end` fell on working days (London's)."""
    total = timedelta(0)
    cursor, end = _utc(start), _utc(end)
    while cursor < end:
        day = cursor.astimezone(LONDON).date()
        next_day = _day_start(day + timedelta(days=1))
        if is_working_day(day):
            total += min(end, next_day) - cursor
        cursor = next_day
    return total


def add_working_time(start: datetime, amount: timedelta) -> datetime:
    """The moment `amount` of working time after `start`: non-working days do not count."""
    cursor = _utc(start)
    while amount > timedelta(0):
        day = cursor.astimezone(LONDON).date()
        next_day = _day_start(day + timedelta(days=1))
        if is_working_day(day):
            if amount <= next_day - cursor:
                cursor += amount
                break
            amount -= next_day - cursor
        cursor = next_day
    if start.tzinfo is None:
        return cursor.astimezone(LONDON).replace(tzinfo=None)
    return cursor.astimezone(start.tzinfo)


def _london(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=LONDON)
    return moment.astimezone(LONDON)


def _utc(moment: datetime) -> datetime:
    """Arithmetic in UTC: Python subtracts two times of one zone by their wall clocks."""
    return _london(moment).astimezone(UTC)


def _day_start(day: date) -> datetime:
    """Midnight in London at the start of `day`, in UTC (clocks never change at midnight)."""
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class PolicyDuration:
    """How long a deadline allows: working days, or an exact elapsed time."""

    working_days: int | None = None
    elapsed: timedelta | None = None

    @classmethod
    def parse(cls, text: str, *, field: str = "duration") -> "PolicyDuration":
        """Read '10' (working days) or an ISO-8601 duration such as 'PT30S'."""
        value = str(text).strip()
        if value.isdigit():
            return cls(working_days=int(value))
        match = _ISO_DURATION.match(value.upper())
        if not match or value.upper() in ("P", "PT"):
            raise InvalidField(
                f"{field} must be a whole number of working days or an ISO-8601 "
                f"duration such as 'PT30S' or 'P2D'; got {text!r}",
                field=field,
            )
        parts = {k: float(v) for k, v in match.groupdict().items() if v}
        return cls(elapsed=timedelta(**parts))

    @property
    def is_zero(self) -> bool:
        """No time at all: '0' working days or 'PT0S'."""
        return self.shortest() == timedelta(0)

    def shortest(self) -> timedelta:
        """The least time this duration can span: a working day is at least 24 hours
        (clocks change on Sundays, so every working day is a whole day long)."""
        if self.working_days is not None:
            return timedelta(days=self.working_days)
        assert self.elapsed is not None
        return self.elapsed

    def due_after(self, start: datetime) -> datetime:
        """When a deadline of this duration, started at `start`, falls due."""
        if self.working_days is not None:
            return add_working_days(start, self.working_days)
        assert self.elapsed is not None
        return start + self.elapsed

    def __str__(self) -> str:
        if self.working_days is not None:
            return f"{self.working_days} working days"
        assert self.elapsed is not None
        return f"{self.elapsed.total_seconds():g} seconds"
