"""The registers as primitives: aggregates never leave the service layer."""

from dataclasses import asdict
from datetime import date
from typing import Any

from domain.authorities import Authority, Duty
from domain.budget import SupportBudget
from domain.matching import Need, SupportMatch
from domain.offers import SupportOffer
from domain.peers import Peer


def authority_view(authority: Authority) -> dict[str, Any]:
    return {
        "id": authority.id, "version": authority.version, "name": authority.name,
        "authority_type": authority.authority_type, "region": authority.region,
        "sub_region": authority.sub_region,
        "mutuality_signed_on": authority.mutuality_signed_on,
        "last_self_evaluation": authority.last_self_evaluation,
        "last_peer_challenge": authority.last_peer_challenge,
    }


def duty_view(duty: Duty, authority_id: Any) -> dict[str, Any]:
    return {"authority_id": str(authority_id), **asdict(duty)}


def peer_view(peer: Peer, on: date) -> dict[str, Any]:
    """The peer, with the days left in the quarter holding `on`; `council` is their own
    council, None for a peer from a partner organisation (`organisation`); `account` is
    their casework account, None when none is linked."""
    return {
        "id": peer.id, "version": peer.version, "name": peer.name, "role": peer.role,
        "council": peer.council, "organisation": peer.organisation, "account": peer.account,
        "organisation_kind": peer.organisation_kind,
        "conflicts_of_interest": list(peer.conflicts_of_interest),
        "problem_natures": list(peer.problem_natures),
        "service_areas": list(peer.service_areas), "days_per_quarter": peer.days_per_quarter,
        "days_left": peer.days_left(on),
        "deployments": [{"deployment_id": k, **v} for k, v in peer.deployments.items()],
    }


def offer_view(offer: SupportOffer, on: date) -> dict[str, Any]:
    """The offer, with the days left in the financial year holding `on`."""
    return {
        "id": offer.id, "version": offer.version, "title": offer.title,
        "provider": offer.provider, "provider_type": offer.provider_type,
        "region": offer.region, "problem_natures": list(offer.problem_natures),
        "service_areas": list(offer.service_areas), "days_per_year": offer.days_per_year,
        "days_left": offer.days_left(on), "cost_per_day": offer.cost_per_day,
        "free_at_point_of_delivery": offer.is_free, "lead_time_days": offer.lead_time_days,
        "provider_council": offer.provider_council, "assesses": list(offer.assesses),
        "commissions": [{"commission_id": k, **v} for k, v in offer.commissions.items()],
    }


def budget_view(budget: SupportBudget) -> dict[str, Any]:
    return {
        "id": budget.id, "version": budget.version, "region": budget.region,
        "financial_year": budget.financial_year, "total": budget.total,
        "allocation": budget.allocation, "committed": budget.committed,
        "spent": budget.spent, "uncommitted": budget.uncommitted,
        "commitments": [{"commitment_id": k, **v} for k, v in budget.commitments.items()],
    }


def match_view(need: Need, found: SupportMatch) -> dict[str, Any]:
    return {
        "need": asdict(need),
        "offers": [asdict(m) for m in found.offers],
        "peers": [asdict(m) for m in found.peers],
        "excluded": [asdict(e) for e in found.excluded],
    }
