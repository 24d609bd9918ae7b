"""The span of dates and times casework accepts, and the largest version it counts to.

A date in the year 9999 passes any calendar check, but working days cannot be
counted past it and a workflow timer cannot be set to it: the case's
escalation would stop. Every date and time a person gives (a deadline, a
visit, a plan action's due date, an authority's last self-evaluation) is held
to one sensible span instead, here, and the API's input types use the same
bounds, so both refuse the same values with the same words.
"""

from datetime import UTC, date, datetime
from typing import Any

from domain.errors import InvalidField

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_MOMENT = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)
MAX_VERSION = 2**63 - 1
"""The largest version a stored stream can reach: both stores keep it in a signed 64-bit column."""

SPAN = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def check_date(value: date, field: str) -> date:
    """A calendar date inside casework's span, or InvalidField (rule `date_out_of_range`)."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise InvalidField(f"{field} must be a date {SPAN}; got {day.isoformat()}",
                           field=field, rule="date_out_of_range")
    return value


def moment(value: Any, field: str) -> datetime:
    """A date and time with a time zone, inside casework's span."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(f"{field} must be a date and time with a time zone, "
                           f"such as 2027-01-31T12:00:00Z", field=field, rule="timezone_required")
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        raise InvalidField(f"{field} must be a date and time {SPAN}; got {value.isoformat()}",
                           field=field, rule="date_out_of_range")
    return value
