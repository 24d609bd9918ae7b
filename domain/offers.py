"""The support matrix: which provider offers what help, to whom, at what cost.

Each offer names the problem natures and service areas it addresses, its
capacity in days a (financial) year, renewed each April, its cost per day
(nothing when free at the point of delivery) and its lead time. Commissioning
an offer for a case reserves days of the year it is made in; ending the
commission gives them back. A regional body is never commissioned where it
has a conflict of interest: for the council it is, or for a council it also
assesses.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.budget import financial_year
from domain.errors import RuleViolation
from domain.registers import (
    ProviderType,
    Region,
    ServiceArea,
    one_of,
    register_id,
    required_text,
    same_name,
    some_of,
    whole_number,
)
from domain.vocabulary import ProblemNature


def _names(values: Iterable[str] | None, field: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    return tuple(required_text(v, field) for v in values or ())


class SupportOffer(Aggregate):
    """One line of the support matrix."""

    @staticmethod
    def create_id(title: str, provider: str) -> UUID:
        return register_id("offer", f"{title}|{provider}")

    @classmethod
    def publish(cls, *, title: str, provider: str, provider_type: str, region: str | None,
                problem_natures: Iterable[str], service_areas: Iterable[str],
                days_per_year: int, cost_per_day: int, lead_time_days: int,
                provider_council: str | None = None, assesses: Iterable[str] = (),
                actor_id: str) -> "SupportOffer":
        """Add an offer; `region` None means it is offered nationally.

        `provider_council` is the council whose team provides it (an excellent
        council's team); `assesses` lists the councils the provider also assesses.
        """
        return cls(
            title=required_text(title, "title"),
            provider=required_text(provider, "provider"),
            provider_type=one_of(provider_type, ProviderType, "provider_type"),
            region=one_of(region, Region, "region") if region else None,
            problem_natures=some_of(problem_natures, ProblemNature, "problem_natures"),
            service_areas=some_of(service_areas, ServiceArea, "service_areas"),
            days_per_year=whole_number(days_per_year, "days_per_year", minimum=1),
            cost_per_day=whole_number(cost_per_day, "cost_per_day"),
            lead_time_days=whole_number(lead_time_days, "lead_time_days"),
            provider_council=required_text(provider_council, "provider_council")
            if provider_council else None,
            assesses=_names(assesses, "assesses"),
            actor_id=required_text(actor_id, "actor_id"),
        )

    @event("Published")
    def __init__(self, *, title: str, provider: str, provider_type: str, region: str | None,
                 problem_natures: tuple[str, ...], service_areas: tuple[str, ...],
                 days_per_year: int, cost_per_day: int, lead_time_days: int,
                 provider_council: str | None, assesses: tuple[str, ...],
                 actor_id: str) -> None:
        self.title = title
        self.provider = provider
        self.provider_type = provider_type
        self.region = region
        self.problem_natures = tuple(problem_natures)
        self.service_areas = tuple(service_areas)
        self.days_per_year = days_per_year
        self.cost_per_day = cost_per_day
        self.lead_time_days = lead_time_days
        self.provider_council = provider_council
        self.assesses = tuple(assesses)
        self.commissions: dict[str, dict[str, Any]] = {}

    # -- rules -----------------------------------------------------------------

    @property
    def is_free(self) -> bool:
        """Free at the point of delivery: nothing is charged to the RIEP's budget."""
        return self.cost_per_day == 0

    def days_left(self, on: date) -> int:
        """Days of the financial year holding `on` not reserved by a commission made in it;
        one recorded before commissions named their year counts until it ends."""
        year = financial_year(on)
        return self.days_per_year - sum(
            int(c["days"]) for c in self.commissions.values() if c.get("year", "") in ("", year))

    def serves(self, region: str) -> bool:
        """National offers serve every region; regional ones only their own."""
        return self.region is None or self.region == region

    def conflict_with(self, authority: str) -> str | None:
        """Why this provider may not support `authority`, or None when it may."""
        if self.provider_council and same_name(authority) == same_name(self.provider_council):
            return f"{self.provider} is {self.provider_council}'s own team"
        if same_name(authority) in {same_name(a) for a in self.assesses}:
            return f"{self.provider} also assesses {authority}: a conflict of interest"
        return None

    def check_can_commission(self, authority: str, region: str, days: int, on: date) -> None:
        conflict = self.conflict_with(authority)
        if conflict:
            raise RuleViolation(conflict, rule="provider_conflict_of_interest",
                                field="authority")
        if not self.serves(region):
            raise RuleViolation(f"{self.title} is offered in {self.region} only, not {region}",
                                rule="offer_outside_region", field="authority")
        left = self.days_left(on)
        if days > left:
            raise RuleViolation(
                f"{self.title} has {left} of {self.days_per_year} days left in "
                f"{financial_year(on)}; {days} asked for", rule="offer_capacity", field="days")

    def cost_of(self, days: int) -> int:
        return days * self.cost_per_day

    # -- commands --------------------------------------------------------------

    def commission(self, *, commission_id: str, case_id: str, authority: str, region: str,
                   days: int, on: date, actor_id: str) -> None:
        """Reserve days of this year's (the one holding `on`) for one case's authority."""
        days = whole_number(days, "days", minimum=1)
        authority = required_text(authority, "authority")
        self.check_can_commission(authority, region, days, on)
        self._commissioned(commission_id=commission_id,
                           case_id=required_text(case_id, "case_id"), authority=authority,
                           region=region, days=days, cost=self.cost_of(days),
                           actor_id=actor_id, year=financial_year(on))

    class Commissioned(Aggregate.Event):
        """Version 2 added the financial year the days count in. Commissions recorded
        before (version 1) are read with none, and count every year until they end."""

        class_version = 2
        commission_id: str
        case_id: str
        authority: str
        region: str
        days: int
        cost: int
        actor_id: str
        year: str = ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("year", "")

    @event(Commissioned)
    def _commissioned(self, *, commission_id: str, case_id: str, authority: str, region: str,
                      days: int, cost: int, actor_id: str, year: str = "") -> None:
        self.commissions[commission_id] = {"case_id": case_id, "authority": authority,
                                           "region": region, "days": days, "cost": cost,
                                           "year": year}

    def end_commission(self, *, commission_id: str, actor_id: str) -> dict[str, Any]:
        """Give the days back; returns what was commissioned, for the budget to release."""
        if commission_id not in self.commissions:
            raise RuleViolation(f"{self.title} has no current commission {commission_id}",
                                rule="commission_not_current", field="commission_id")
        ended = dict(self.commissions[commission_id])
        self._commission_ended(commission_id=commission_id, actor_id=actor_id)
        return ended

    @event("CommissionEnded")
    def _commission_ended(self, *, commission_id: str, actor_id: str) -> None:
        self.commissions.pop(commission_id)
