"""The case's owner, and who beyond the coordinators may read its confidential material
(the rules on who qualifies are in domain/ownership.py)."""

from datetime import datetime

from eventsourcing.domain import Aggregate

from domain.case.state import CaseState, actor, required_text
from domain.errors import RuleViolation
from domain.ownership import (
    ALREADY_GRANTED,
    NOT_GRANTED,
    OWNER_UNCHANGED,
    Person,
    check_confidential_grantee,
    check_owner,
)


class CaseReassigned(Aggregate.Event):
    from_owner: str | None
    to_owner: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.owner = self.to_owner


class ConfidentialAccessGranted(Aggregate.Event):
    grantee: str
    grantee_role: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        grant = {"role": self.grantee_role, "granted_by": self.actor_id,
                 "granted_at": self.recorded_at, "reason": self.reason}
        aggregate.confidential_access = {**aggregate.confidential_access, self.grantee: grant}


class ConfidentialAccessRevoked(Aggregate.Event):
    grantee: str
    reason: str
    recorded_at: datetime
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        aggregate.confidential_access = {k: v for k, v in aggregate.confidential_access.items()
                                         if k != self.grantee}


class AccessPart(CaseState):
    """Reassigning the case; granting and revoking access to its confidential material."""

    def reassign(self, *, owner: Person, reason: str, recorded_at: datetime, actor_id: str,
                 actor_role: str) -> None:
        """Hand the case to another coordinator of its region, saying why."""
        self.check_open()
        to_owner = check_owner(owner, self.region)
        if to_owner == self.owner:
            raise RuleViolation(f"{to_owner!r} already owns this case", rule=OWNER_UNCHANGED,
                                field="owner")
        self.trigger_event(CaseReassigned, from_owner=self.owner, to_owner=to_owner,
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))

    def grant_confidential_access(self, *, grantee: Person, reason: str, recorded_at: datetime,
                                  actor_id: str, actor_role: str) -> None:
        """Let a member of the Chatham House group read this case's confidential material."""
        self.check_open()
        username = check_confidential_grantee(grantee)
        if username in self.confidential_access:
            raise RuleViolation(f"{username!r} already has access to this case's confidential "
                                "material", rule=ALREADY_GRANTED, field="grantee")
        self.trigger_event(ConfidentialAccessGranted, grantee=username,
                           grantee_role=str(grantee.role), reason=required_text(reason, "reason"),
                           recorded_at=recorded_at, **actor(actor_id, actor_role))

    def check_may_revoke_confidential_access(self) -> None:
        """Someone holds a grant to withdraw."""
        if not self.confidential_access:
            raise RuleViolation("no one has been granted this case's confidential material",
                                rule=NOT_GRANTED, field="grantee")

    def revoke_confidential_access(self, *, grantee: str, reason: str, recorded_at: datetime,
                                   actor_id: str, actor_role: str) -> None:
        """Withdraw a grant. Allowed on a closed case too: withdrawing access never waits."""
        self.check_may_revoke_confidential_access()
        username = required_text(grantee, "grantee")
        if username not in self.confidential_access:
            raise RuleViolation(f"{username!r} has no access to this case's confidential "
                                "material to revoke", rule=NOT_GRANTED, field="grantee")
        self.trigger_event(ConfidentialAccessRevoked, grantee=username,
                           reason=required_text(reason, "reason"), recorded_at=recorded_at,
                           **actor(actor_id, actor_role))
