"""Idempotency keys: a retried request answers as the first did and records nothing twice.

Each key (per user) is an event-sourced record stored beside the users, so it
survives restarts and is shared by every API replica. Reserving the key is an
insert of version 1, which the store's unique (id, version) rule lets only one
request win; the winner runs the command and then stores its answer.
"""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from domain.errors import DomainError
from services.store import EventStoreApplication

_NAMESPACE = uuid.UUID("0b8f7f1e-2a6c-4f0e-8d8a-1c3e5f7a9b20")


class KeyInUse(DomainError):
    """The key is being used by a request still running, or by a different request."""

    rule = "idempotency_key_in_use"

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, field="Idempotency-Key")
        self.status = status


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


class IdempotentRequest(Aggregate):
    @staticmethod
    def create_id(owner: str, key: str, **_: Any) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{owner}\n{key}")

    @event("Reserved")
    def __init__(self, *, owner: str, key: str, request: str) -> None:
        self.request = request
        self.answer: dict[str, Any] | None = None
        self.running = True

    @event("Answered")
    def answered(self, *, status: int, body: Any, headers: dict[str, str]) -> None:
        self.answer = {"status": status, "body": body, "headers": headers}
        self.running = False

    @event("Abandoned")
    def abandoned(self) -> None:
        """The command failed unexpectedly; a retry may run it again."""
        self.running = False

    @event("Retried")
    def retried(self) -> None:
        self.running = True


@dataclass
class Reservation:
    record: IdempotentRequest | None
    replay: dict[str, Any] | None = None


class IdempotencyStore:
    """Reserves keys, keeps answers and replays them (runs in the identity store)."""

    def __init__(self, app: EventStoreApplication) -> None:
        self.app = app

    def reserve(self, *, owner: str, key: str, request: str) -> Reservation:
        if not key or len(key) > 200:
            raise KeyInUse("Idempotency-Key must be 1 to 200 characters", status=422)
        record = IdempotentRequest(owner=owner, key=key, request=request)
        try:
            self.app.save(record)
            return Reservation(record)
        except IntegrityError:
            return self._existing(owner, key, request)

    def _existing(self, owner: str, key: str, request: str) -> Reservation:
        record: IdempotentRequest = self.app.repository.get(
            IdempotentRequest.create_id(owner, key))
        if record.request != request:
            raise KeyInUse("this Idempotency-Key was used for a different request", status=422)
        if record.answer is not None:
            return Reservation(None, replay=record.answer)
        if record.running:
            raise KeyInUse("a request with this Idempotency-Key is still running", status=409)
        record.retried()
        try:
            self.app.save(record)
        except IntegrityError:
            raise KeyInUse("a request with this Idempotency-Key is still running",
                           status=409) from None
        return Reservation(record)

    def answer(self, record: IdempotentRequest, *, status: int, body: Any,
               headers: dict[str, str]) -> None:
        record.answered(status=status, body=body, headers=headers)
        self.app.save(record)

    def abandon(self, record: IdempotentRequest) -> None:
        record.abandoned()
        self.app.save(record)
