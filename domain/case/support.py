"""Support commissioned against the diagnosed problems, and peers deployed from other
councils: both only once the plan is agreed, both ended before a case closes."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate

from domain.case.state import CaseState, a_moment, actor, required_text, texts
from domain.case.support_plan import PlanPart
from domain.errors import InvalidField, RuleViolation
from domain.plan import money
from domain.vocabulary import ProblemNature, one_of


class Delivery(StrEnum):
    """Whether a commission or a peer deployment is still delivering support."""

    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True)
class Commission:
    """Support commissioned for the case, as the case holds it (a dict, which its
    snapshots store): what, from whom, at what cost, and whether still delivering."""

    commission_id: str
    provider: str
    description: str
    problem_natures: list[str]
    cost: Decimal
    commissioned_at: datetime
    offer_id: str = ""
    days: int = 0
    status: Delivery = Delivery.ACTIVE
    ended_at: datetime | None = None

    def as_fields(self) -> dict[str, Any]:
        return {"provider": self.provider, "description": self.description,
                "problem_natures": self.problem_natures, "cost": self.cost,
                "commissioned_at": self.commissioned_at, "commission_id": self.commission_id,
                "offer_id": self.offer_id, "days": self.days, "status": self.status.value,
                "ended_at": self.ended_at}


@dataclass(frozen=True)
class PeerDeployment:
    """A peer from another council or a partner organisation deployed to the case, as
    the case holds it (a dict, which its snapshots store), with the register's ids for
    the same deployment. `peer_council` is the peer's own organisation as the register
    names it (the name is older than partner organisations' peers)."""

    peer_id: str
    peer_council: str
    role: str
    deployed_at: datetime
    registered_peer_id: str = ""
    register_deployment_id: str = ""
    days: int = 0
    status: Delivery = Delivery.ACTIVE
    ended_at: datetime | None = None

    @classmethod
    def of(cls, fields: Mapping[str, Any]) -> "PeerDeployment":
        return cls(fields["peer_id"], fields["peer_council"], fields["role"],
                   fields["deployed_at"], fields.get("registered_peer_id", ""),
                   fields.get("register_deployment_id", ""), fields.get("days", 0),
                   Delivery(fields.get("status", Delivery.ACTIVE)), fields.get("ended_at"))

    def as_fields(self) -> dict[str, Any]:
        """With no visits yet: each visit is added to the held dict as it is recorded."""
        return {"peer_id": self.peer_id, "peer_council": self.peer_council, "role": self.role,
                "deployed_at": self.deployed_at, "status": self.status.value, "visits": [],
                "ended_at": self.ended_at, "registered_peer_id": self.registered_peer_id,
                "register_deployment_id": self.register_deployment_id, "days": self.days}


class SupportCommissioned(Aggregate.Event):
    """`commission_id`, `offer_id` and `days` came when commissions moved to the
    registers: a commission recorded before carries none, and is named by its place."""

    provider: str
    description: str
    problem_natures: list[str]
    cost: Decimal
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    commission_id: str = ""
    offer_id: str = ""
    days: int = 0

    def apply(self, aggregate: CaseState) -> None:
        commissions = aggregate.commissions
        commissions.append(Commission(
            self.commission_id or f"commission-{len(commissions) + 1}", self.provider,
            self.description, self.problem_natures, self.cost, self.recorded_at,
            self.offer_id, self.days).as_fields())


class SupportCommissionEnded(Aggregate.Event):
    commission_id: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: "SupportPart") -> None:
        dict(aggregate._commission_keys())[self.commission_id].update(
            status=Delivery.ENDED.value, ended_at=self.recorded_at)


class PeerDeployed(Aggregate.Event):
    """`registered_peer_id`, `register_deployment_id` and `days` came when peers moved to
    the register: a deployment recorded before carries none."""

    deployment_id: str
    peer_id: str
    peer_council: str
    role: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str
    registered_peer_id: str = ""
    register_deployment_id: str = ""
    days: int = 0

    def apply(self, aggregate: CaseState) -> None:
        aggregate.deployments[self.deployment_id] = PeerDeployment(
            self.peer_id, self.peer_council, self.role, self.recorded_at,
            self.registered_peer_id, self.register_deployment_id, self.days).as_fields()


class PeerVisitRecorded(Aggregate.Event):
    deployment_id: str
    visited_at: datetime
    notes: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.deployments[self.deployment_id]["visits"].append(
            {"visited_at": self.visited_at, "notes": self.notes})


class PeerDeploymentEnded(Aggregate.Event):
    deployment_id: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.deployments[self.deployment_id].update(status=Delivery.ENDED.value,
                                                         ended_at=self.recorded_at)


class SupportPart(PlanPart):
    """Commissions and peer deployments, from the plan's agreement to their end."""

    @property
    def peers(self) -> list[str]:
        """Every peer ever deployed to this case."""
        return sorted({d["peer_id"] for d in self.deployments.values()})

    @property
    def active_commissions(self) -> list[str]:
        """Commissions still delivering support (one from an older snapshot, without a
        status, has never been ended)."""
        return [key for key, c in self._commission_keys()
                if c.get("status", Delivery.ACTIVE) == Delivery.ACTIVE]

    @property
    def active_deployments(self) -> list[str]:
        """Peer deployments still running, which a closure waits for."""
        return sorted(d for d, v in self.deployments.items()
                      if PeerDeployment.of(v).status == Delivery.ACTIVE)

    def _commission_keys(self) -> list[tuple[str, dict[str, Any]]]:
        """Each commission by its id; one recorded without an id (in a snapshot older than
        the registers' ids) by its place, as replaying its event names it."""
        return [(c["commission_id"] or f"commission-{i + 1}", c)
                for i, c in enumerate(self.commissions)]

    def check_may_commission_support(self) -> None:
        self.check_open()
        self.check_plan_agreed("support commissioned")

    def check_may_end_commission(self) -> None:
        """Some commissioned support is still running to end."""
        self.check_open()
        if not self.active_commissions:
            raise RuleViolation("no commissioned support is running on this case",
                                rule="commission_active", field="commission_id")

    def check_may_deploy_peer(self) -> None:
        self.check_open()
        self.check_plan_agreed("peer deployed")

    def check_may_act_on_deployments(self) -> None:
        """A visit is recorded, or a deployment ended, only while some peer is deployed."""
        self.check_open()
        if not any(PeerDeployment.of(d).status == Delivery.ACTIVE
                   for d in self.deployments.values()):
            raise RuleViolation("no peer is deployed on this case",
                                rule="peer_deployment_active", field="deployment_id")

    def commission_support(
        self, *, provider: str, description: str, problem_natures: Iterable[str], cost: Any,
        reason: str, recorded_at: datetime, actor_id: str, actor_role: str,
        commission_id: str = "", offer_id: str = "", days: int = 0,
    ) -> None:
        """Record support commissioned against the diagnosed problems, once the plan is agreed.

        The commission itself (the offer's days, the conflict of interest, the budget
        commitment) is made in the registers first; `commission_id` names that one
        record, seen from the case and from the registers alike.
        """
        self.check_may_commission_support()
        self.trigger_event(
            SupportCommissioned, provider=required_text(provider, "provider"),
            description=required_text(description, "description"),
            problem_natures=[one_of(n, ProblemNature, f"problem_natures[{i}]")
                             for i, n in enumerate(texts(problem_natures, "problem_natures"))],
            cost=money(cost, "cost"), reason=required_text(reason, "reason"),
            recorded_at=recorded_at, **actor(actor_id, actor_role),
            commission_id=commission_id, offer_id=offer_id, days=days)

    def end_commission(self, *, commission_id: str, reason: str, recorded_at: datetime,
                       actor_id: str, actor_role: str) -> None:
        """The commissioned support is delivered (or stopped): a decision with its reason,
        which a closure waits for, as it waits for peers' deployments to end."""
        key = required_text(commission_id, "commission_id")
        if key not in dict(self._commission_keys()):
            raise InvalidField(f"no commission {key!r} on this case", field="commission_id")
        self.check_may_end_commission()
        if key not in self.active_commissions:
            raise RuleViolation(f"commission {key!r} has ended", rule="commission_active",
                                field="commission_id")
        self.trigger_event(SupportCommissionEnded, commission_id=key,
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def deploy_peer(self, *, peer_id: str, peer_council: str, role: str, reason: str,
                    recorded_at: datetime, actor_id: str, actor_role: str,
                    registered_peer_id: str = "", register_deployment_id: str = "",
                    days: int = 0) -> str:
        """Deploy an accredited peer from another council; returns the deployment id.

        The peer's days and council come from the register, which deploys them first;
        `register_deployment_id` names that same deployment there.
        """
        self.check_may_deploy_peer()
        council = required_text(peer_council, "peer_council")
        if council.casefold() == self.authority.casefold():
            raise RuleViolation("a peer is never deployed to their own council",
                                rule="peer_own_council", field="peer_council")
        deployment_id = f"deployment-{len(self.deployments) + 1}"
        self.trigger_event(
            PeerDeployed, deployment_id=deployment_id,
            peer_id=required_text(peer_id, "peer_id"), peer_council=council,
            role=required_text(role, "role"), reason=required_text(reason, "reason"),
            recorded_at=recorded_at, **actor(actor_id, actor_role),
            registered_peer_id=registered_peer_id,
            register_deployment_id=register_deployment_id, days=days)
        return deployment_id

    def record_peer_visit(self, *, deployment_id: str, visited_at: datetime, notes: str,
                          recorded_at: datetime, actor_id: str, actor_role: str) -> None:
        """A visit made under an active deployment."""
        self.check_may_act_on_deployments()
        self.check_deployment_active(deployment_id)
        self.trigger_event(PeerVisitRecorded, deployment_id=deployment_id,
                           visited_at=a_moment(visited_at, "visited_at"),
                           notes=required_text(notes, "notes"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def end_peer_deployment(self, *, deployment_id: str, reason: str, recorded_at: datetime,
                            actor_id: str, actor_role: str) -> None:
        """The peer's work on this case is done."""
        self.check_may_act_on_deployments()
        self.check_deployment_active(deployment_id)
        self.trigger_event(PeerDeploymentEnded, deployment_id=deployment_id,
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def check_deployment_active(self, deployment_id: str) -> None:
        if deployment_id not in self.deployments:
            raise InvalidField(f"no peer deployment {deployment_id!r} on this case",
                               field="deployment_id")
        if PeerDeployment.of(self.deployments[deployment_id]).status != Delivery.ACTIVE:
            raise RuleViolation(f"peer deployment {deployment_id!r} has ended",
                                rule="peer_deployment_active", field="deployment_id")

    def check_support_ended(self) -> None:
        """No peer still deployed and no commissioned support still running."""
        active = self.active_deployments
        if active:
            raise RuleViolation(
                f"end the active peer deployments first: {', '.join(active)}",
                rule="peer_deployments_end_first", field="outcome")
        if self.active_commissions:
            raise RuleViolation(
                f"end the commissioned support first (POST /cases/{{id}}/commission-ends): "
                f"{', '.join(self.active_commissions)}",
                rule="commissions_end_first", field="outcome")
