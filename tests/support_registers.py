"""The registers a case needs before support is commissioned or peers deployed on it."""

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

from domain.budget import financial_year
from domain.offers import SupportOffer
from domain.peers import Peer
from services.registers.service import AlreadyRegistered, RegisterService
from tests.helpers import OPEN_CASE

PEER_COUNCIL = "Eastshire County Council"
OFFER = ("Leadership mentoring", "the national improvement body")
PEER = ("Pete Peer", PEER_COUNCIL)


def _once(register: Callable[..., Any], **fields: Any) -> None:
    try:
        register(**fields)
    except AlreadyRegistered:
        pass


def seed_registers(env: Any, *, paid_per_day: int = 0,
                   allocation: int | None = None) -> dict[str, UUID]:
    """The case's council and a peer's, a national offer (free unless `paid_per_day`),
    an accredited peer and, with `allocation`, this year's budget for the region.
    Seeding again adds nothing."""
    registers = RegisterService(dict(env))
    try:
        for name in (OPEN_CASE["authority"], PEER_COUNCIL):
            _once(registers.register_authority, name=name, authority_type="county",
                  region=OPEN_CASE["region"], actor_id="cora")
        _once(registers.publish_offer, title=OFFER[0], provider=OFFER[1],
              provider_type="national improvement body", region=None,
              problem_natures=["political", "capacity", "capability", "financial"],
              service_areas=["corporate leadership"], days_per_year=100,
              cost_per_day=paid_per_day, lead_time_days=5, actor_id="cora")
        _once(registers.accredit_peer, name=PEER[0], role="officer", council=PEER[1],
              problem_natures=["capacity", "capability"],
              service_areas=["children's services"], days_per_quarter=10, actor_id="cora")
        if allocation is not None:
            registers.set_budget(region=OPEN_CASE["region"],
                                 financial_year=financial_year(date.today()),
                                 total=allocation * 20, allocation=allocation,
                                 actor_id="cora")
        return {"offer": SupportOffer.create_id(*OFFER), "peer": Peer.create_id(*PEER)}
    finally:
        registers.close()
