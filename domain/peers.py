"""The register of accredited peers and their deployments.

A peer is a councillor or officer from another council who lends their
expertise for a number of days a quarter. Two rules protect the help they
give: a peer is never deployed to their own council, and never beyond the
days they have left this quarter. The days renew each quarter: a deployment
counts in the quarter it was made, and its days come back if it ends early.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import RuleViolation
from domain.registers import (
    PeerRole,
    ServiceArea,
    one_of,
    quarter_of,
    register_id,
    required_text,
    same_name,
    some_of,
    whole_number,
)
from domain.vocabulary import ProblemNature


class Peer(Aggregate):
    """An accredited councillor or officer peer, with their expertise and capacity."""

    @staticmethod
    def create_id(name: str, council: str) -> UUID:
        return register_id("peer", f"{name}|{council}")

    @classmethod
    def accredit(cls, *, name: str, role: str, council: str, problem_natures: Iterable[str],
                 service_areas: Iterable[str], days_per_quarter: int, actor_id: str) -> "Peer":
        """Add an accredited peer; `council` is their own council, named as in the register."""
        return cls(
            name=required_text(name, "name"),
            role=one_of(role, PeerRole, "role"),
            council=required_text(council, "council"),
            problem_natures=some_of(problem_natures, ProblemNature, "problem_natures"),
            service_areas=some_of(service_areas, ServiceArea, "service_areas"),
            days_per_quarter=whole_number(days_per_quarter, "days_per_quarter", minimum=1),
            actor_id=required_text(actor_id, "actor_id"),
        )

    @event("Accredited")
    def __init__(self, *, name: str, role: str, council: str, problem_natures: tuple[str, ...],
                 service_areas: tuple[str, ...], days_per_quarter: int, actor_id: str) -> None:
        self.name = name
        self.role = role
        self.council = council
        self.problem_natures = tuple(problem_natures)
        self.service_areas = tuple(service_areas)
        self.days_per_quarter = days_per_quarter
        self.deployments: dict[str, dict[str, Any]] = {}

    # -- rules -----------------------------------------------------------------

    def days_left(self, on: date) -> int:
        """Days of the quarter holding `on` not reserved by a deployment made in it.

        Deployments of past quarters do not count; one recorded before deployments
        named their quarter counts in every quarter until it ends.
        """
        quarter = quarter_of(on)
        return self.days_per_quarter - sum(
            int(d["days"]) for d in self.deployments.values()
            if d.get("period", "") in ("", quarter))

    def conflict_with(self, authority: str) -> str | None:
        """Why this peer may not support `authority`, or None when they may."""
        if same_name(authority) == same_name(self.council):
            return f"{self.name} is from {self.council}: a peer never supports their own council"
        return None

    def check_can_deploy(self, authority: str, days: int, on: date) -> None:
        conflict = self.conflict_with(authority)
        if conflict:
            raise RuleViolation(conflict, rule="peer_own_council", field="authority")
        left = self.days_left(on)
        if days > left:
            raise RuleViolation(
                f"{self.name} has {left} of {self.days_per_quarter} days left in "
                f"{quarter_of(on)}; {days} asked for", rule="peer_capacity", field="days")

    # -- commands --------------------------------------------------------------

    def deploy(self, *, deployment_id: str, case_id: str, authority: str, days: int,
               on: date, actor_id: str) -> None:
        """Reserve the peer's days of this quarter (holding `on`) for a case; the days
        come back when the deployment ends."""
        days = whole_number(days, "days", minimum=1)
        authority = required_text(authority, "authority")
        self.check_can_deploy(authority, days, on)
        self._deployed(deployment_id=deployment_id, case_id=required_text(case_id, "case_id"),
                       authority=authority, days=days, actor_id=actor_id,
                       period=quarter_of(on))

    class Deployed(Aggregate.Event):
        """Version 2 added the quarter the days count in. Deployments recorded before
        (version 1) are read with none, and count in every quarter until they end."""

        class_version = 2
        deployment_id: str
        case_id: str
        authority: str
        days: int
        actor_id: str
        period: str = ""

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("period", "")

    @event(Deployed)
    def _deployed(self, *, deployment_id: str, case_id: str, authority: str, days: int,
                  actor_id: str, period: str = "") -> None:
        self.deployments[deployment_id] = {"case_id": case_id, "authority": authority,
                                           "days": days, "period": period}

    def end_deployment(self, *, deployment_id: str, actor_id: str) -> None:
        if deployment_id not in self.deployments:
            raise RuleViolation(f"{self.name} has no current deployment {deployment_id}",
                                rule="deployment_not_current", field="deployment_id")
        self._deployment_ended(deployment_id=deployment_id, actor_id=actor_id)

    @event("DeploymentEnded")
    def _deployment_ended(self, *, deployment_id: str, actor_id: str) -> None:
        self.deployments.pop(deployment_id)
