"""Support commissioned and peers deployed on a case: one path, through the registers.

The registers decide what can be had (the offer's days and region, the peer's
days and own council, a provider's conflict of interest, the budget's money)
and reserve it in one transaction of theirs; the case then records the same
commission or deployment, by the same id, in its history. If the case refuses
(a rule, or a stale version), the reservation is given back, recorded, so the
registers never hold a commitment that no case shows. Ending a deployment on
the case gives the peer's days back in the register, and ending a commission
gives back its days and unspent money; the register's own route for ending a
commission finds its case (`case_running_commission`) and ends it here too.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.case import Case
from domain.errors import InvalidField, RuleViolation
from domain.registers import same_name
from services.eventstore.store import NotFound
from services.registers.service import RegisterService


class SupportThroughRegisters:
    """Mixed into CaseService, which provides `_run`, `_load` and `register_service`."""

    _run: Callable[..., int]
    _load: Callable[..., Case]
    register_service: Callable[[], RegisterService]

    def _case_for_support(self, case_id: UUID, expected_version: int | None,
                          what: str) -> Case:
        """The case as it stands, which must be open with its plan agreed, before the
        registers are touched."""
        case = self._load(case_id, expected_version)
        case.check_open()
        case.check_plan_agreed(what)
        return case

    def commission_support(self, case_id: UUID, *, offer_id: UUID, days: int,
                           problem_natures: Iterable[str], reason: str, actor_id: str,
                           actor_role: str, expected_version: int | None = None) -> int:
        """Commission an offer of the support matrix for the case's council."""
        case = self._case_for_support(case_id, expected_version, "support commissioned")
        registers = self.register_service()
        made = registers.commission_offer(offer_id, case_id=str(case_id),
                                          authority=case.authority, days=days,
                                          actor_id=actor_id)
        offer, commission_id = made["offer"], made["commission_id"]

        def record(aggregate: Case, now: datetime) -> None:
            aggregate.commission_support(
                provider=offer["provider"], description=offer["title"],
                problem_natures=problem_natures, cost=made["cost"], reason=reason,
                recorded_at=now, actor_id=actor_id, actor_role=actor_role,
                commission_id=commission_id, offer_id=str(offer_id), days=days)

        return self._or_give_back(
            lambda: self._run(case_id, expected_version, record),
            lambda: registers.end_commission(offer_id, commission_id, actor_id=actor_id))

    def deploy_peer(self, case_id: UUID, *, peer_id: UUID, days: int, role: str,
                    reason: str, actor_id: str, actor_role: str,
                    peer_user: str | None = None,
                    expected_version: int | None = None) -> int:
        """Deploy a registered peer; `peer_user` is their casework account, if they have
        one (it may then read the case and record visits), else the account the register
        links to the peer. The new deployment is
        `deployment-N`, listed in the case's `deployments`."""
        case = self._case_for_support(case_id, expected_version, "peer deployed")
        registers = self.register_service()
        made = registers.deploy_peer(peer_id, case_id=str(case_id), authority=case.authority,
                                     days=days, actor_id=actor_id)
        peer, deployment_id = made["peer"], made["deployment_id"]

        def record(aggregate: Case, now: datetime) -> None:
            aggregate.deploy_peer(
                peer_id=peer_user or peer.get("account") or str(peer_id),
                peer_council=peer["organisation"],
                role=role,
                reason=reason, recorded_at=now, actor_id=actor_id, actor_role=actor_role,
                registered_peer_id=str(peer_id), register_deployment_id=deployment_id,
                days=days)

        return self._or_give_back(
            lambda: self._run(case_id, expected_version, record),
            lambda: registers.end_peer_deployment(peer_id, deployment_id, actor_id=actor_id))

    def end_peer_deployment(self, case_id: UUID, *, deployment_id: str, reason: str,
                            actor_id: str, actor_role: str,
                            expected_version: int | None = None) -> int:
        """End the deployment on the case, then give the peer's days back in the register."""
        version = self._run(case_id, expected_version, lambda case, now:
                            case.end_peer_deployment(deployment_id=deployment_id,
                                                     reason=reason, recorded_at=now,
                                                     actor_id=actor_id,
                                                     actor_role=actor_role))
        ended = self._load(case_id).deployments[deployment_id]
        if ended.get("register_deployment_id"):
            try:
                self.register_service().end_peer_deployment(
                    UUID(ended["registered_peer_id"]), ended["register_deployment_id"],
                    actor_id=actor_id)
            except RuleViolation:
                pass  # already ended in the register: nothing to give back
        return version

    def end_commission(self, case_id: UUID, *, commission_id: str, reason: str,
                       actor_id: str, actor_role: str,
                       expected_version: int | None = None) -> int:
        """End the commission on the case, then in the register: its days come back and
        whatever of its budget commitment was not spent is released."""
        version = self._run(case_id, expected_version, lambda case, now:
                            case.end_commission(commission_id=commission_id, reason=reason,
                                                recorded_at=now, actor_id=actor_id,
                                                actor_role=actor_role))
        ended = next((c for c in self._load(case_id).commissions
                      if c["commission_id"] == commission_id), {})
        if ended.get("offer_id"):
            try:
                self.register_service().end_commission(UUID(ended["offer_id"]), commission_id,
                                                       actor_id=actor_id)
            except (RuleViolation, NotFound):
                pass  # already ended in the register: nothing to give back
        return version

    def case_running_commission(self, offer_id: UUID, commission_id: str) -> UUID | None:
        """The case that shows this register commission still running, found from the
        register's record of it: ending it there is the one way to end it, so the case and
        the register agree. None when no case does (one made in the register before support
        went through the case, or one its case has ended): the register alone then holds it."""
        recorded = self.register_service().case_of_commission(offer_id, commission_id)
        try:
            case = self._load(UUID(recorded or ""))
        except (ValueError, NotFound):
            return None
        return case.id if commission_id in case.active_commissions else None

    def check_takes_support(self, case_id: str, authority: str) -> None:
        """Money is committed only to an open case of `authority` with an agreed plan."""
        try:
            case = self._load(UUID(str(case_id)))
        except (ValueError, NotFound):
            raise InvalidField(f"{case_id!r} is not a case: commit money to an open case "
                               f"with an agreed plan", field="case_id") from None
        case.check_open()
        case.check_plan_agreed("money committed")
        if same_name(case.authority) != same_name(authority):
            raise RuleViolation(f"case {case_id} is {case.authority}'s, not {authority}'s",
                                rule="case_of_that_authority", field="authority")

    @staticmethod
    def _or_give_back(record: Callable[[], int], give_back: Callable[[], Any]) -> int:
        try:
            return record()
        except BaseException:
            give_back()
            raise
