"""A case's reference: the short name people quote on the phone and in emails.

`NW-2026-0042` is the 42nd case raised in the North West in 2026 (the year in UK
time). Each region has a two-letter code; the number counts up per region per year
and has at least four digits. A reference is given once, when the case is opened
(or, for a case from before references, by a recorded `ReferenceGiven`), and never
changes. Which number comes next is the services' to keep unique
(services/cases/references.py); this module only says what a reference looks like.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import london_date
from domain.errors import InvalidField
from domain.registers import Region

REGION_CODES = {
    Region.NORTH_EAST: "NE", Region.NORTH_WEST: "NW", Region.YORKSHIRE_AND_THE_HUMBER: "YH",
    Region.EAST_MIDLANDS: "EM", Region.WEST_MIDLANDS: "WM", Region.EAST_OF_ENGLAND: "EE",
    Region.LONDON: "LN", Region.SOUTH_EAST: "SE", Region.SOUTH_WEST: "SW",
}
OTHER_REGION = "XX"
"""The code of a region outside the nine (only ever seen in tests and trial data)."""

_SHAPE = re.compile(r"([A-Z]{2})-(\d{4})-(\d{4,9})")


def region_code(region: str) -> str:
    """The two letters of a region's references."""
    for known, code in REGION_CODES.items():
        if region.strip().casefold() == known.value.casefold():
            return code
    return OTHER_REGION


@dataclass(frozen=True, order=True)
class CaseReference:
    """A region's code, the year the case was raised (UK time) and its number that year."""

    code: str
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.code}-{self.year:04d}-{self.number:04d}"

    @classmethod
    def numbered(cls, region: str, raised_at: datetime, number: int) -> "CaseReference":
        """The `number`th reference of `region` in the UK year of `raised_at`."""
        return cls(region_code(region), london_date(raised_at).year, number)

    @classmethod
    def parse(cls, text: object) -> "CaseReference":
        """The reference `text` names, whatever its case and surrounding spaces."""
        if not isinstance(text, str) or not cls.looks_like(text):
            raise InvalidField("a case reference is two letters, the year and a number, "
                               "like NW-2026-0042", field="reference")
        found = _SHAPE.fullmatch(text.strip().upper())
        assert found is not None  # looks_like said so
        code, year, number = found.groups()
        if int(number) < 1:
            raise InvalidField("a case reference's number starts at 0001", field="reference")
        return cls(code, int(year), int(number))

    @staticmethod
    def looks_like(text: str) -> bool:
        """Whether `text` has a reference's shape (so a path can tell it from a case's id)."""
        return _SHAPE.fullmatch(text.strip().upper()) is not None
