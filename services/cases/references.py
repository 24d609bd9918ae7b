"""Which number a new case reference takes: one counter per region per year.

Each (region code, year) has a `ReferenceCounter` in the case store, under an id worked
out from the pair (uuid5), so every process finds the same one. A reference is taken by
recording the counter's next number in the same atomic save as the case that gets it
(services/cases/service.py): two cases opened at once in one region both try to record
the counter's next version, the store lets one in, and the other reads the counter
again and takes the number after. So no two cases ever share a reference, and a number
is never used by a case that was not saved.
"""

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from domain.calendar import london_date
from domain.case_reference import CaseReference, region_code

_NAMESPACE = uuid.UUID("5d2f8c1a-7b43-4e0a-9c61-2f8e4b7d1a35")


class ReferenceCounter(Aggregate):
    """The last number given to a case of one region in one year; started by the first
    case of the year, which takes number 1."""

    @staticmethod
    def create_id(code: str, year: int, **_: Any) -> UUID:
        return uuid.uuid5(_NAMESPACE, f"{code}-{year}")

    @event("Started")
    def __init__(self, *, code: str, year: int) -> None:
        self.code = code
        self.year = year
        self.last = 1

    @event("Taken")
    def take(self, number: int) -> None:
        self.last = number

    @property
    def reference(self) -> CaseReference:
        """The reference of the number last taken."""
        return CaseReference(self.code, self.year, self.last)


NUMBERS_TAKEN = (get_topic(ReferenceCounter.Started),  # type: ignore[attr-defined]
                 get_topic(ReferenceCounter.Taken))  # type: ignore[attr-defined]
"""The topics of a number taken: one event per case given a reference (opened or later)."""


def counter_id(region: str, raised_at: datetime) -> UUID:
    """The id of the counter for a case of `region` raised at `raised_at` (UK year)."""
    return ReferenceCounter.create_id(region_code(region), london_date(raised_at).year)


def next_reference(counter: ReferenceCounter | None, region: str,
                   raised_at: datetime) -> tuple[ReferenceCounter, CaseReference]:
    """The counter with the next number taken (not yet saved), and its reference: number 1
    of a counter started now when `counter` is None (the year's first case)."""
    if counter is None:
        counter = ReferenceCounter(code=region_code(region), year=london_date(raised_at).year)
    else:
        counter.take(counter.last + 1)
    return counter, counter.reference
