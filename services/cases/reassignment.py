"""Handing several cases to another coordinator in one decision: all of them, or none.

Each case records its own CaseReassigned through `Case.reassign`, so every rule of a
single reassignment holds for each. All the cases are loaded and decided first, and
their events saved in one `save` (one transaction on SQLite and on PostgreSQL, each
event chained onto its own case's stream), so a refusal of any case, or a case
changed meanwhile by someone else, leaves every case as it was. The refusal names
the case by its council.

An Idempotency-Key's outcome (services/cases/idempotency.py) is saved in that same
transaction: a retry after a lost answer finds it and records nothing again.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.case import Case
from domain.errors import DomainError
from domain.handover import check_handover, check_still_owned_by
from services.cases.idempotency import Keyed, KeyedRequest, KeyInUse, Outcome
from services.cases.service import CaseService, StaleVersion

Permit = Callable[[dict[str, Any]], None]
"""Raises unless the person acting may reassign a case, told whom the case relates to
(its region, council, advisers, peers and grantees)."""


@dataclass(frozen=True)
class Move:
    """One case to hand on, at the version the person saw (None: as it now stands)."""

    case_id: UUID
    expected_version: int | None = None


@dataclass(frozen=True)
class Handover:
    """What one decision asks: the cases, who takes them, why, and (for "all of
    X's cases") whose they must still be."""

    moves: Sequence[Move]
    to_owner: str
    reason: str
    from_owner: str | None = None


@dataclass(frozen=True)
class Moved:
    """A case handed on: its council, whom it came from, and its version after."""

    case_id: UUID
    authority: str
    from_owner: str | None
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"id": str(self.case_id), "authority": self.authority,
                "from_owner": self.from_owner, "version": self.version}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Moved":
        return cls(UUID(data["id"]), data["authority"], data["from_owner"], data["version"])


def named(error: DomainError, case: Case | None, case_id: UUID) -> DomainError:
    """The refusal of one case, saying which case (by its council, when it could be read)
    refused the batch."""
    council = case.authority if case is not None else None
    if council is not None:
        error.message = f"{council}: {error.message}"
        error.args = (error.message,)
    error.case_id = case_id  # type: ignore[attr-defined]  # the API's problem names it
    error.authority = council  # type: ignore[attr-defined]
    return error


def relations(case: Case) -> dict[str, Any]:
    """Whom a case relates to, for deciding whether the person may act on it."""
    return {"region": case.region, "authority": case.authority, "advisers": case.advisers,
            "peers": case.peers, "confidential_access": dict(case.confidential_access)}


class Reassignments:
    """Decides and saves a handover of several cases as one."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def reassign(self, handover: Handover, *, actor_id: str, actor_role: str,
                 permit: Permit | None = None,
                 key: Keyed | None = None) -> tuple[list[Moved], bool]:
        """Hand every case on, or refuse them all; the cases moved, and whether this
        request did it (False: a retry, answered with the first request's cases)."""
        ids = check_handover([move.case_id for move in handover.moves])
        if key is not None and (first := self.recorded(key)) is not None:
            return first, False
        taker = self.cases._person(handover.to_owner)  # looked up once for the batch
        now = self.cases.clock()
        decided = [self._decide(move, handover, lambda case: case.reassign(
            owner=taker, reason=handover.reason, recorded_at=now, actor_id=actor_id,
            actor_role=actor_role), permit) for move in handover.moves]
        moved = [Moved(case.id, case.authority, was, case.version) for case, was in decided]
        record = KeyedRequest(owner=key.owner, key=key.key, request=key.request, outcome={
            **Outcome(status=200).as_dict(), "moved": [m.as_dict() for m in moved]},
        ) if key is not None else None
        try:
            self.cases.save(*(case for case, _ in decided), record)
        except IntegrityError:
            if key is not None and (first := self.recorded(key)) is not None:
                return first, False
            raise self._stale(decided, ids) from None
        for case, _ in decided:
            self.cases.repository.remember(case)
        return moved, True

    def _decide(self, move: Move, handover: Handover, reassign: Callable[[Case], None],
                permit: Permit | None) -> tuple[Case, str | None]:
        """The case, read fresh, with its reassignment recorded (not yet saved)."""
        case: Case | None = None
        try:
            case = self.cases._load(move.case_id, move.expected_version)
            if permit is not None:
                permit(relations(case))
            was = case.owner
            check_still_owned_by(was, handover.from_owner)
            reassign(case)
        except DomainError as error:
            raise named(error, case, move.case_id) from None
        return case, was

    def _stale(self, decided: list[tuple[Case, str | None]], ids: list[UUID]) -> DomainError:
        """Which case someone else changed while this batch was decided."""
        for (case, _), case_id in zip(decided, ids, strict=True):
            current = self.cases._load(case_id)
            if current.version != case.version - 1:
                return named(StaleVersion("the case changed while the cases were handed on",
                                          current_version=current.version), case, case_id)
        case = decided[0][0]
        return named(StaleVersion("a case changed while the cases were handed on",
                                  current_version=case.version - 1), case, case.id)

    def recorded(self, key: Keyed) -> list[Moved] | None:
        """The cases the first request with this key moved, if it finished."""
        outcome = self._record(key)
        if outcome is None or "moved" not in outcome:
            return None
        return [Moved.from_dict(m) for m in outcome["moved"]]

    def recorded_refusal(self, key: Keyed) -> Outcome | None:
        """The refusal the first request with this key was given, if it was refused."""
        outcome = self._record(key)
        if outcome is None or "moved" in outcome:
            return None
        return Outcome.from_dict(outcome)

    def _record(self, key: Keyed) -> dict[str, Any] | None:
        if not key.key or len(key.key) > 200:
            raise KeyInUse("Idempotency-Key must be 1 to 200 characters")
        try:
            record: Any = self.cases.repository.get(KeyedRequest.create_id(key.owner, key.key))
        except AggregateNotFoundError:
            return None
        if not isinstance(record, KeyedRequest) or record.request != key.request:
            raise KeyInUse("this Idempotency-Key was used for a different request")
        return dict(record.outcome)
