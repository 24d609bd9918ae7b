"""Idempotency keys: a retried request answers as the first did and records nothing twice.

A key's outcome is stored in the case store, in the same transaction as the
case events its request recorded (one `save` of the case and the key's record),
so a key costs no write and no read of its own. Nothing is reserved while the
request runs: a request that dies in flight leaves no trace, and its retry
simply runs, at once or after any restart. A retry of a request that did finish
decides again, but its save is refused whole by the store's unique (id,
version) rule on the key's record, and it answers with the recorded outcome;
two requests racing with one key end the same way. A refusal (a rule, a stale
version) records no case event, so its outcome is saved on its own.
"""

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import register_topic

from domain.case import Case
from domain.errors import DomainError
from services.cases.service import CaseService, KeyRecordedMeanwhile

_NAMESPACE = uuid.UUID("0b8f7f1e-2a6c-4f0e-8d8a-1c3e5f7a9b20")


class KeyInUse(DomainError):
    """The key was used for a different request."""

    rule = "idempotency_key_in_use"

    def __init__(self, message: str, *, status: int = 422) -> None:
        super().__init__(message, field="Idempotency-Key")
        self.status = status


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """What the first request answered: a case at a version, or a refusal's problem."""

    status: int
    case_id: UUID | None = None
    version: int | None = None
    problem: dict[str, Any] | None = None
    headers: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "case_id": str(self.case_id) if self.case_id else None,
                "version": self.version, "problem": self.problem, "headers": self.headers}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Outcome":
        case_id = data.get("case_id")
        return cls(status=data["status"], case_id=UUID(case_id) if case_id else None,
                   version=data.get("version"), problem=data.get("problem"),
                   headers=data.get("headers"))


class KeyedRequest(Aggregate):
    """One person's use of one key: the request's fingerprint and its outcome."""

    @staticmethod
    def create_id(owner: str, key: str, **_: Any) -> UUID:
        return uuid.uuid5(_NAMESPACE, f"{owner}\n{key}")

    @event("Answered")
    def __init__(self, *, owner: str, key: str, request: str, outcome: dict[str, Any]) -> None:
        self.request = request
        self.outcome = outcome


# Stored before services/ became packages: old keys keep their topic and still answer.
register_topic("services.idempotency:KeyedRequest", KeyedRequest)


@dataclass(frozen=True)
class Keyed:
    owner: str
    key: str
    request: str

    def record(self, outcome: Outcome) -> KeyedRequest:
        return KeyedRequest(owner=self.owner, key=self.key, request=self.request,
                            outcome=outcome.as_dict())


class IdempotencyStore:
    """Finds a key's outcome, and records it with the case events of its request."""

    def __init__(self, cases: CaseService) -> None:
        self.cases = cases

    def recorded(self, keyed: Keyed) -> Outcome | None:
        """The outcome of the first request with this key, if it finished."""
        if not keyed.key or len(keyed.key) > 200:
            raise KeyInUse("Idempotency-Key must be 1 to 200 characters")
        try:
            record: Any = self.cases.repository.get(
                KeyedRequest.create_id(keyed.owner, keyed.key))
        except AggregateNotFoundError:
            return None
        if not isinstance(record, KeyedRequest) or record.request != keyed.request:
            raise KeyInUse("this Idempotency-Key was used for a different request")
        return Outcome.from_dict(record.outcome)

    def run(self, keyed: Keyed, status: int,
            write: Callable[[], dict[str, Any]]) -> tuple[Outcome, dict[str, Any] | None]:
        """Run `write` (a case command answering with the case's view); the key's outcome
        is saved with the command's events.

        Returns the outcome and the view when this request got in first; the first
        request's outcome (and no view) when another with the same key did.
        """
        def companion(case: Case) -> KeyedRequest:
            return keyed.record(Outcome(status=status, case_id=case.id, version=case.version))

        try:
            with self.cases.saved_with(companion):
                view = write()
        except (KeyRecordedMeanwhile, DomainError):
            found = self.recorded(keyed)
            if found is None:
                raise
            return found, None
        return Outcome(status=status, case_id=view["id"], version=view["version"]), view

    def refused(self, keyed: Keyed, status: int, problem: dict[str, Any],
                headers: dict[str, str]) -> Outcome:
        """Record a refusal (nothing else was written); the first outcome if one raced in."""
        outcome = Outcome(status=status, problem=problem, headers=headers)
        try:
            self.cases.save(keyed.record(outcome))
        except IntegrityError:
            return self.recorded(keyed) or outcome
        return outcome
