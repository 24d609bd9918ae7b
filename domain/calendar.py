"""Working days in England and Wales, and policy durations that count them.

Deadlines in the brief count working days with bank holidays excluded; demos
and tests need seconds instead, so a duration is either a whole number of
working days or an ISO-8601 duration.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

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


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day, `days` working days after `start`."""
    moment = start
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_working_day(moment.date()):
            remaining -= 1
    return moment


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

    def due_after(self, start: datetime) -> datetime:
        """When a deadline of this duration, started at `start`, falls due."""
        if self.working_days is not None:
            return add_working_days(start, self.working_days)
        assert self.elapsed is not None
        return start + self.elapsed

    def __str__(self) -> str:
        if self.working_days is not None:
            return f"{self.working_days} working days"
        return f"{self.elapsed.total_seconds():g} seconds"
