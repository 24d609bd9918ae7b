"""The RIEP's regional picture of support: who is helped, by whom, and with what money.

Per region: the authorities registered, the offers in use and the peers
deployed (for authorities in that region), and the support budget's
allocation, commitments and spend. Built from the registers alone, so it
always agrees with what was commissioned and spent.
"""

from collections.abc import Iterable
from typing import Any

from domain.authorities import Authority
from domain.budget import SupportBudget
from domain.offers import SupportOffer
from domain.peers import Peer
from domain.registers import Region, same_name


def _empty(region: str) -> dict[str, Any]:
    return {"region": region, "authorities": 0, "offers_in_use": [], "peers_deployed": [],
            "budget": None}


def regional_picture(authorities: Iterable[Authority], offers: Iterable[SupportOffer],
                     peers: Iterable[Peer], budgets: Iterable[SupportBudget]
                     ) -> list[dict[str, Any]]:
    """One entry per English region, in the usual order."""
    picture = {r.value: _empty(r.value) for r in Region}
    region_of = {}
    for authority in authorities:
        picture[authority.region]["authorities"] += 1
        region_of[same_name(authority.name)] = authority.region
    for offer in offers:
        for c in offer.commissions.values():
            picture[c["region"]]["offers_in_use"].append({
                "offer": offer.title, "provider": offer.provider, "authority": c["authority"],
                "case_id": c["case_id"], "days": c["days"], "cost": c["cost"]})
    for peer in peers:
        for d in peer.deployments.values():
            region = region_of.get(same_name(d["authority"]))
            if region:
                picture[region]["peers_deployed"].append({
                    "peer": peer.name, "council": peer.council,
                    "organisation": peer.organisation, "authority": d["authority"],
                    "case_id": d["case_id"], "days": d["days"]})
    for budget in budgets:
        picture[budget.region]["budget"] = {
            "financial_year": budget.financial_year, "total": budget.total,
            "allocation": budget.allocation, "committed": budget.committed,
            "spent": budget.spent, "uncommitted": budget.uncommitted}
    return list(picture.values())
