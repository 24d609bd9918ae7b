"""Matching a diagnosis against the support matrix and the peers.

Given what a diagnosis found (the problem natures, the service areas) and the
authority it is about, rank the offers and peers that could help, each with
the reasons a coordinator needs: which problems it addresses, the capacity
left, the cost. Anyone with a conflict of interest, or without the capacity
asked for, is left out, and the exclusions are listed with their reasons so
that nothing disappears silently.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.offers import SupportOffer
from domain.peers import Peer
from domain.registers import (
    Region,
    ServiceArea,
    one_of,
    pounds,
    required_text,
    some_of,
    whole_number,
)
from domain.vocabulary import ProblemNature


@dataclass(frozen=True)
class Need:
    """What a case's diagnosis asks for, and for whom."""

    authority: str
    region: str
    problem_natures: tuple[str, ...]
    service_areas: tuple[str, ...] = ()
    days: int = 1
    on: date = date.min  # the day asked about: capacity is counted in its quarter / year

    @classmethod
    def of(cls, *, authority: str, region: str, problem_natures: Iterable[str],
           service_areas: Iterable[str] = (), days: int = 1,
           on: date = date.min) -> "Need":
        areas = tuple(service_areas or ())
        return cls(
            authority=required_text(authority, "authority"),
            region=one_of(region, Region, "region"),
            problem_natures=some_of(problem_natures, ProblemNature, "problem_natures"),
            service_areas=some_of(areas, ServiceArea, "service_areas") if areas else (),
            days=whole_number(days, "days", minimum=1),
            on=on,
        )


@dataclass(frozen=True)
class Match:
    kind: str  # "offer" or "peer"
    id: str
    name: str
    addresses: tuple[str, ...]
    service_areas: tuple[str, ...]
    days_left: int
    cost_per_day: int
    lead_time_days: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    kind: str
    id: str
    name: str
    reason: str


@dataclass
class SupportMatch:
    offers: list[Match] = field(default_factory=list)
    peers: list[Match] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)


def _reasons(addresses: tuple[str, ...], areas: tuple[str, ...], days_left: int,
             capacity: str, cost: str) -> tuple[str, ...]:
    found = [f"addresses {', '.join(addresses)} problems"]
    if areas:
        found.append(f"expertise in {', '.join(areas)}")
    found += [f"{days_left} days left {capacity}", cost]
    return tuple(found)


def _fit(match: Match) -> tuple[Any, ...]:
    """More problems addressed first, then more service areas, then cheaper, sooner, roomier."""
    return (-len(match.addresses), -len(match.service_areas), match.cost_per_day,
            match.lead_time_days, -match.days_left, match.name)


def _offer_match(offer: SupportOffer, need: Need, addresses: tuple[str, ...],
                 areas: tuple[str, ...]) -> Match:
    cost = ("free at the point of delivery" if offer.is_free
            else f"costs {pounds(offer.cost_per_day)} a day ({pounds(offer.cost_of(need.days))} "
                 f"for {need.days} days)")
    reasons = _reasons(addresses, areas, offer.days_left(need.on), "this year", cost)
    reasons += (f"lead time {offer.lead_time_days} days",)
    return Match("offer", str(offer.id), f"{offer.title} ({offer.provider})", addresses, areas,
                 offer.days_left(need.on), offer.cost_per_day, offer.lead_time_days, reasons)


def _peer_match(peer: Peer, need: "Need", addresses: tuple[str, ...],
                areas: tuple[str, ...]) -> Match:
    left = peer.days_left(need.on)
    reasons = _reasons(addresses, areas, left, "this quarter",
                       f"{peer.role} peer from {peer.organisation}"
                       + ("" if peer.council else f" ({peer.organisation_kind})"))
    return Match("peer", str(peer.id), peer.name, addresses, areas, left, 0, 0, reasons)


def _exclusion(kind: str, candidate: SupportOffer | Peer, need: Need) -> Exclusion | None:
    """Conflicts of interest first, then capacity: the reason a person most needs to see."""
    name = candidate.title if isinstance(candidate, SupportOffer) else candidate.name
    conflict = candidate.conflict_with(need.authority)
    if conflict:
        return Exclusion(kind, str(candidate.id), name, f"conflict of interest: {conflict}")
    left = candidate.days_left(need.on)
    if left < need.days:
        return Exclusion(kind, str(candidate.id), name,
                         f"no capacity: {left} days left, {need.days} needed")
    return None


def match_support(need: Need, offers: Iterable[SupportOffer],
                  peers: Iterable[Peer]) -> SupportMatch:
    """The offers and peers that fit the need, best first, and those left out and why."""
    result = SupportMatch()
    groups: tuple[tuple[str, Iterable[SupportOffer | Peer]], ...] = (
        ("offer", offers), ("peer", peers))
    for kind, candidates in groups:
        for candidate in candidates:
            if isinstance(candidate, SupportOffer) and not candidate.serves(need.region):
                continue
            addresses = tuple(n for n in need.problem_natures
                              if n in candidate.problem_natures)
            if not addresses:
                continue
            excluded = _exclusion(kind, candidate, need)
            if excluded:
                result.excluded.append(excluded)
                continue
            areas = tuple(a for a in need.service_areas if a in candidate.service_areas)
            if isinstance(candidate, SupportOffer):
                result.offers.append(_offer_match(candidate, need, addresses, areas))
            else:
                result.peers.append(_peer_match(candidate, need, addresses, areas))
    result.offers.sort(key=_fit)
    result.peers.sort(key=_fit)
    return result
