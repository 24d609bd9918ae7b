"""The words and field rules shared by the registers of the support matrix.

The registers (authorities, peers, support offers, budgets) all speak of the
same regions and service areas (and the diagnosis's problem natures, from
domain/vocabulary.py), and refuse bad values in the
same way; defining those once here keeps every refusal message alike.
"""

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.errors import InvalidField
from domain.moments import check_date
from domain.vocabulary import choices
from domain.vocabulary import one_of as one_of  # shared from here too

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "casework:registers")


class Region(StrEnum):
    """The nine English regions, each with its own RIEP."""

    NORTH_EAST = "North East"
    NORTH_WEST = "North West"
    YORKSHIRE_AND_THE_HUMBER = "Yorkshire and the Humber"
    EAST_MIDLANDS = "East Midlands"
    WEST_MIDLANDS = "West Midlands"
    EAST_OF_ENGLAND = "East of England"
    LONDON = "London"
    SOUTH_EAST = "South East"
    SOUTH_WEST = "South West"


class AuthorityType(StrEnum):
    COUNTY = "county"
    DISTRICT = "district"
    UNITARY = "unitary"
    METROPOLITAN_BOROUGH = "metropolitan borough"
    LONDON_BOROUGH = "London borough"


class ServiceArea(StrEnum):
    """Where in the council the trouble lies, or where a provider has expertise."""

    CORPORATE_LEADERSHIP = "corporate leadership"
    GOVERNANCE = "governance"
    FINANCE = "finance"
    CHILDREN = "children's services"
    ADULT_SOCIAL_CARE = "adult social care"
    WASTE = "waste"
    HOUSING = "housing"
    PLANNING = "planning"
    COMMISSIONING = "commissioning"
    WORKFORCE = "workforce"


class ProviderType(StrEnum):
    """Who provides a support offer (seed 003, 'Offer of support')."""

    NATIONAL_IMPROVEMENT_BODY = "national improvement body"
    RIEP = "RIEP"
    SUB_REGIONAL_PARTNERSHIP = "sub-regional partnership"
    EXCELLENT_COUNCIL = "excellent council team"
    LEADERSHIP_CENTRE = "leadership centre"
    EMPLOYERS_BODY = "employers' body"
    PRIVATE_SECTOR = "private sector"


class PeerRole(StrEnum):
    """A councillor (a member peer) or officer of a council, or an official of a partner
    organisation (seed 004's Midthorpe team had "an official from the NSPCC")."""

    COUNCILLOR = "councillor"
    OFFICER = "officer"
    OFFICIAL = "official"


class OrganisationKind(StrEnum):
    """The kind of organisation a peer comes from: a council, or a partner of the sector's
    improvement work. A peer recorded before partners were admitted is a council's."""

    COUNCIL = "council"
    CHARITY = "charity"
    NATIONAL_IMPROVEMENT_BODY = "national improvement body"
    PROFESSIONAL_BODY = "professional body"
    PUBLIC_BODY = "public body"


def register_id(kind: str, name: str) -> UUID:
    """One id per name, so registering the same name twice is detected by the store."""
    return uuid5(REGISTER_NAMESPACE, f"{kind}:{same_name(name)}")


def same_name(name: str) -> str:
    """Names compared the way people read them: case and spacing do not matter."""
    return " ".join(str(name).split()).casefold()


def required_text(value: Any, field: str, *, max_length: int = 200) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(f"{field} is required and must not be blank", field=field)
    text = " ".join(value.split())
    if len(text) > max_length:
        raise InvalidField(f"{field} must be at most {max_length} characters", field=field)
    return text


def some_of(values: Iterable[Any], enum: type[StrEnum], field: str) -> tuple[str, ...]:
    """At least one value, each from the closed set, without repeats, in a stable order."""
    if isinstance(values, str):
        values = [values]
    chosen = {one_of(v, enum, field) for v in values or ()}
    if not chosen:
        raise InvalidField(f"{field} needs at least one of {choices(enum)}", field=field)
    return tuple(m.value for m in enum if m.value in chosen)


def whole_number(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidField(f"{field} must be a whole number of at least {minimum}; got {value!r}",
                           field=field)
    return value


def optional_date(value: Any, field: str) -> date | None:
    """A calendar date, or None when it never happened; accepts ISO text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(value.strip() if isinstance(value, str) else "")
        except ValueError:
            raise InvalidField(f"{field} must be a date as YYYY-MM-DD; got {value!r}",
                               field=field) from None
    return check_date(value, field)


def pounds(amount: int) -> str:
    return f"£{amount:,}"


def quarter_of(day: date) -> str:
    """The calendar quarter holding `day`, e.g. '2026 Q4' (October to December): the
    period a peer's days are counted in."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"
