"""The register of authorities, and the duties each one owes the sector.

Besides who a council is (type, region, sub-region), the register keeps the
dates that sector-led improvement runs on: the mutuality statement signed,
the last self-evaluation and the last corporate peer challenge. From those
dates follow the authority-level duties that remind: a self-evaluation every
year, a peer-led corporate challenge every three to four years.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.calendar import LONDON, is_working_day, london_date, working_day_on_or_after
from domain.errors import InvalidField
from domain.registers import (
    AuthorityType,
    Region,
    one_of,
    optional_date,
    register_id,
    required_text,
)

SELF_EVALUATION = "self-evaluation"
CORPORATE_PEER_CHALLENGE = "corporate peer challenge"
SELF_EVALUATION_EVERY_YEARS = 1
PEER_CHALLENGE_FROM_YEARS = 3
PEER_CHALLENGE_BY_YEARS = 4


_FIELD_RULES: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: required_text(v, "name"),
    "authority_type": lambda v: one_of(v, AuthorityType, "authority_type"),
    "region": lambda v: one_of(v, Region, "region"),
    "sub_region": lambda v: required_text(v, "sub_region") if v else None,
    "mutuality_signed_on": lambda v: optional_date(v, "mutuality_signed_on"),
    "last_self_evaluation": lambda v: optional_date(v, "last_self_evaluation"),
    "last_peer_challenge": lambda v: optional_date(v, "last_peer_challenge"),
}
AUTHORITY_FIELDS = tuple(_FIELD_RULES)


def check_authority_fields(row: dict[str, Any]) -> tuple[dict[str, Any], list[InvalidField]]:
    """Every field checked, so that an import can report all of a row's problems at once."""
    fields, problems = {}, []
    for name, rule in _FIELD_RULES.items():
        try:
            fields[name] = rule(row.get(name))
        except InvalidField as problem:
            problems.append(problem)
    return fields, problems


def authority_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Checks one authority's fields; raises InvalidField naming the first bad one."""
    fields, problems = check_authority_fields(row)
    if problems:
        raise problems[0]
    return fields


class Authority(Aggregate):
    """One English council as the RIEP knows it."""

    @staticmethod
    def create_id(name: str) -> UUID:
        return register_id("authority", name)

    @classmethod
    def register(cls, *, actor_id: str, **fields: Any) -> "Authority":
        """Register a council; refuses a blank name or an unknown type or region."""
        return cls(**authority_fields(fields), actor_id=required_text(actor_id, "actor_id"))

    @event("Registered")
    def __init__(self, *, name: str, authority_type: str, region: str, sub_region: str | None,
                 mutuality_signed_on: date | None, last_self_evaluation: date | None,
                 last_peer_challenge: date | None, actor_id: str) -> None:
        self.name = name
        self.authority_type = authority_type
        self.region = region
        self.sub_region = sub_region
        self.mutuality_signed_on = mutuality_signed_on
        self.last_self_evaluation = last_self_evaluation
        self.last_peer_challenge = last_peer_challenge

    def record_self_evaluation(self, *, on: Any, actor_id: str) -> None:
        self._self_evaluated(on=self._not_before(on, self.last_self_evaluation, "on"),
                             actor_id=actor_id)

    @event("SelfEvaluationRecorded")
    def _self_evaluated(self, *, on: date, actor_id: str) -> None:
        self.last_self_evaluation = on

    def record_peer_challenge(self, *, on: Any, actor_id: str) -> None:
        self._peer_challenged(on=self._not_before(on, self.last_peer_challenge, "on"),
                              actor_id=actor_id)

    @event("CorporatePeerChallengeRecorded")
    def _peer_challenged(self, *, on: date, actor_id: str) -> None:
        self.last_peer_challenge = on

    def sign_mutuality_statement(self, *, on: Any, actor_id: str) -> None:
        self._mutuality_signed(on=self._not_before(on, None, "on"), actor_id=actor_id)

    @event("MutualityStatementSigned")
    def _mutuality_signed(self, *, on: date, actor_id: str) -> None:
        self.mutuality_signed_on = on

    @staticmethod
    def _not_before(value: Any, previous: date | None, field: str) -> date:
        """A later record may not predate the one it replaces: history runs forwards."""
        day = optional_date(value, field)
        if day is None:
            raise InvalidField(f"{field} is required", field=field)
        if previous is not None and day < previous:
            raise InvalidField(f"{field} must not be before the last one, {previous}",
                               field=field)
        return day

    def duties(self, as_of: date) -> list["Duty"]:
        return authority_duties(self.name, self.region, self.last_self_evaluation,
                                self.last_peer_challenge, as_of,
                                known_since=london_date(self.created_on))


@dataclass(frozen=True)
class Duty:
    """One authority-level duty: when it falls due, by when it must be done, and its state."""

    authority: str
    region: str
    duty: str
    last_done: date | None
    due: date
    latest: date
    status: str  # "not yet due", "due" or "overdue"
    reminder_on: date  # the working day its reminder falls on: `due`, or the next working day


def years_after(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


DUTY_REMINDER_TIME = time(9)
"""When on its reminder day (its due day, or the working day after) a duty is reminded of,
UK time."""


def duty_reminder_at(due: date, at: time = DUTY_REMINDER_TIME, *,
                     now: datetime | None = None) -> datetime:
    """The moment a duty due on `due` is reminded of: at `at`, London time, on the first
    working day on or after its due day (due on a Saturday or a bank holiday, it is
    reminded of on the next working day). Once that moment has passed (at `now`), the
    reminder is due at once, so it is answered unchanged on a working day (the caller
    reminds now); on a day off, it moves to `at` on the next working day."""
    moment = _london_at(working_day_on_or_after(due), at)
    if now is None or moment > now or is_working_day(london_date(now)):
        return moment
    return _london_at(working_day_on_or_after(london_date(now)), at)


def _london_at(day: date, at: time) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=None), tzinfo=LONDON)


def duty_status(due: date, latest: date, as_of: date) -> str:
    if as_of > latest:
        return "overdue"
    return "due" if as_of >= due else "not yet due"


def authority_duties(authority: str, region: str, last_self_evaluation: date | None,
                     last_peer_challenge: date | None, as_of: date, *,
                     known_since: date) -> list[Duty]:
    """Self-evaluation yearly; corporate peer challenge from 3 and at latest 4 years on.

    A duty never done fell due on `known_since`, the day the register first knew the
    authority (London's date), and stays due from then: overdue from the day after,
    and more overdue each day, never due afresh "today" (which hid it as never late).
    """
    duties = []
    for duty, last, due_years, latest_years in (
        (SELF_EVALUATION, last_self_evaluation, SELF_EVALUATION_EVERY_YEARS,
         SELF_EVALUATION_EVERY_YEARS),
        (CORPORATE_PEER_CHALLENGE, last_peer_challenge, PEER_CHALLENGE_FROM_YEARS,
         PEER_CHALLENGE_BY_YEARS),
    ):
        due = years_after(last, due_years) if last else known_since
        latest = years_after(last, latest_years) if last else known_since
        duties.append(Duty(authority, region, duty, last, due, latest,
                           duty_status(due, latest, as_of), working_day_on_or_after(due)))
    return duties


def check_registered(authority: str, registered_region: str | None, *,
                     region: str | None = None) -> None:
    """A case or a person names a council the register knows, in the region it is in.

    `registered_region` is the register's answer for `authority` (None: not there).
    """
    if registered_region is None:
        raise InvalidField(f"authority must be a council in the register of authorities; "
                           f"{authority!r} is not (register it first)", field="authority",
                           rule="authority_not_registered")
    if region is not None and region != registered_region:
        raise InvalidField(f"region must be {registered_region!r}, the region of {authority!r} "
                           f"in the register; got {region!r}", field="region",
                           rule="region_of_the_authority")
