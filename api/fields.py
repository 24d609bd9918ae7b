"""The input types every request body and query shares, so a rule at the edge is written once.

Each refuses at the edge what the domain would refuse later (or, before these
types, accepted by mistake): a date given as a number or as digits (JSON has no
dates, and `0` or `as_of=0` silently meant 1970-01-01), a time without a time zone, a date outside
casework's span (domain/moments.py), a version that is `true` or beyond what a
stream can hold. The refusal names the rule, and the problem names the field.
"""

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

from domain.moments import (
    EARLIEST_DATE,
    EARLIEST_MOMENT,
    LATEST_DATE,
    LATEST_MOMENT,
    MAX_VERSION,
    SPAN,
)


def _text_only(value: Any) -> Any:
    """Dates and times come as ISO 8601 text, never as numbers."""
    if isinstance(value, (int, float, bool)):
        raise PydanticCustomError(
            "date_must_be_text", "must be ISO 8601 text such as 2027-01-31 or "
            "2027-01-31T12:00:00Z, not a number")
    return value


# Pydantic also reads digits ("0", "1700000000", "0.0") as seconds since 1970, which
# in a query string (always text) made `as_of=0` mean 1 January 1970.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}.*", re.DOTALL)


def _iso(pattern: re.Pattern[str], example: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        value = _text_only(value)
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise PydanticCustomError(
                "date_not_iso8601", f"must be an ISO 8601 date{example}")
        return value
    return check


def _moment_in_span(value: datetime) -> datetime:
    if not EARLIEST_MOMENT <= value <= LATEST_MOMENT:
        raise PydanticCustomError("date_out_of_range", f"must be a date and time {SPAN}")
    return value


def _date_in_span(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise PydanticCustomError("date_out_of_range", f"must be a date {SPAN}")
    return value


_SPAN_NOTE = f"ISO 8601 with a time zone, {SPAN}."

Moment = Annotated[AwareDatetime,
                   BeforeValidator(_iso(_ISO_MOMENT, " and time such as 2027-01-31T12:00:00Z")),
                   AfterValidator(_moment_in_span), Field(description=_SPAN_NOTE)]
"""A date and time with a time zone, inside casework's span."""

Day = Annotated[date, BeforeValidator(_iso(_ISO_DATE, " such as 2027-01-31")),
                AfterValidator(_date_in_span), Field(description=f"ISO 8601 (YYYY-MM-DD), {SPAN}.")]
"""A calendar date inside casework's span."""

Version = Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]
"""A case version in a body: a whole number (not `true`, not "3"), at most 2**63 - 1."""

VersionQuery = Annotated[int, Field(ge=1, le=MAX_VERSION)]
"""A case version in a query string (which is always text, so not strict)."""

SerialNumber = Annotated[int, Field(ge=1, le=MAX_VERSION)]
"""A record's number in a path (a checkpoint's): at least 1 and at most 2**63 - 1, so
that no store is asked for a number it cannot hold."""

Flag = StrictBool
"""true or false, never 1 or "yes"."""

Count = Annotated[StrictInt, Field(ge=0, le=1_000_000_000)]
"""A whole number of days or pounds: never `true`, never a fraction."""
