"""One handler per case command: the key, the version, the command, the workflow told.

The API's route for a command and the page that submits its form both come here,
so a page can do nothing the API would not, and a fact is recorded the same way
whichever door it came in by: once per Idempotency-Key (a retry gets the first
outcome back and records nothing twice), on the version the person decided on
(a stale one is refused by the case). The case's workflow is told after the answer,
by a background sender (services/cases/workflow_sender.py): the event stored is what
makes a command durable, and the worker's reconciler starts or wakes any workflow the
sender could not tell, because this process died or Temporal did not answer.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.errors import DomainError
from services.cases.idempotency import IdempotencyStore, Keyed, Outcome
from services.cases.reassignment import Handover, Moved, Permit, Reassignments
from services.cases.redaction import Redactor
from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from services.cases.workflow_sender import WorkflowSender

Refusal = Callable[[DomainError], Awaitable[tuple[int, dict[str, Any], dict[str, str]]]]
"""How the caller answers a refusal (status, problem, headers): kept with the key, so
that a retry is refused in the very same words."""

Blocking = Callable[..., Awaitable[Any]]
"""Runs a call of the synchronous event store off the event loop."""


@dataclass(frozen=True)
class Actor:
    """Who decided the command, as the case records it."""

    id: str
    role: str


@dataclass(frozen=True)
class Handled:
    """The case as the command left it, or, for a retry, as the first request left it;
    `first` is that first request's outcome (a refusal has no case)."""

    case: dict[str, Any] | None
    first: Outcome | None = None


@dataclass(frozen=True)
class HandedOn:
    """The cases one handover moved (none when refused); `first` as for `Handled`."""

    moved: list[Moved]
    first: Outcome | None = None


class CaseCommandHandler:
    """Carries out case commands for every door: the API and the pages."""

    def __init__(self, cases: CaseService, idempotency: IdempotencyStore, *,
                 gateway: Callable[[], WorkflowGateway | None],
                 blocking: Blocking = asyncio.to_thread,
                 redactor: Redactor | None = None, tell_delay_seconds: float = 0.0) -> None:
        self.cases = cases
        self.idempotency = idempotency
        self.redactor = redactor  # carries a recorded redaction out (services/cases/redaction.py)
        # the workflow's gateway is connected in the background; None until then
        self.sender = WorkflowSender(gateway, delay_seconds=tell_delay_seconds)
        self._blocking = blocking

    async def open_case(self, arguments: dict[str, Any], actor: Actor, *,
                        key: Keyed | None = None, refusal: Refusal | None = None) -> Handled:
        """Open a case (a concern raised) and start its workflow."""

        def write() -> dict[str, Any]:
            case_id = self.cases.open_case(**arguments, actor_id=actor.id,
                                           actor_role=actor.role)
            return self.cases.case_after_write(case_id)

        return await self._once(write, start=True, status=201, key=key, refusal=refusal)

    async def handle(self, case_id: UUID, method: str, arguments: dict[str, Any],
                     actor: Actor, *, expected_version: int | None, key: Keyed | None = None,
                     refusal: Refusal | None = None) -> Handled:
        """Run the case service's `method` on the version the person decided on (None
        only for a door whose callers never had a version: the register's end of a
        commission, which names the one commission it ends)."""
        command = getattr(self.cases, method)

        def write() -> dict[str, Any]:
            command(case_id, **arguments, actor_id=actor.id, actor_role=actor.role,
                    expected_version=expected_version)
            return self.cases.case_after_write(case_id)

        return await self._once(write, start=False, status=200, key=key, refusal=refusal)

    async def redact(self, case_id: UUID, method: str, arguments: dict[str, Any],
                     actor: Actor, *, expected_version: int | None, key: Keyed | None = None,
                     refusal: Refusal | None = None) -> Handled:
        """Record a redaction (`redact_event_field` or `redact_document`), then carry it
        out: the text or the document's bytes erased, the case's views rebuilt. Carried
        out again for a retry, or when asked again and refused as already redacted, so a
        process stopped between the two finishes the job."""
        if self.redactor is None:
            raise RuntimeError("this process cannot redact: it was built without a redactor")
        try:
            handled = await self.handle(case_id, method, arguments, actor,
                                        expected_version=expected_version, key=key,
                                        refusal=refusal)
        except DomainError as refused:
            if refused.rule == "already_redacted":  # asked again: finish one cut short
                await self._blocking(self.redactor.apply, case_id)
            raise
        if handled.case is None and handled.first is not None \
                and handled.first.problem is not None:
            return handled  # a retry of a refused request: nothing to carry out
        await self._blocking(self.redactor.apply, case_id)
        if handled.first is not None:
            return handled
        return Handled(await self._blocking(self.cases.get_case, case_id))

    async def _once(self, write: Callable[[], dict[str, Any]], *, start: bool, status: int,
                    key: Keyed | None, refusal: Refusal | None) -> Handled:
        """`write` once per key; without a key, once. A refusal is raised as it came,
        except a retry's, which is given back as the first request's outcome."""
        if key is None:
            case = await self._blocking(write)
            self.tell_workflow(case["id"], start=start)
            return Handled(case)
        try:
            outcome, case = await self._blocking(self.idempotency.run, key, status, write)
        except DomainError as error:
            if refusal is None:
                raise
            answered, problem, headers = await refusal(error)
            outcome = await self._blocking(self.idempotency.refused, key, answered, problem,
                                           headers)
            if outcome.problem == problem:
                raise  # the first time this key was refused: answered as any refusal
            return Handled(None, outcome)
        if case is None:  # a retry: the first request's outcome again
            if outcome.problem is not None or outcome.case_id is None:
                return Handled(None, outcome)
            first = await self._blocking(self.cases.case_as_of, outcome.case_id,
                                         version=outcome.version)
            return Handled(first, outcome)
        self.tell_workflow(case["id"], start=start)
        return Handled(case)

    async def reassign_cases(self, handover: Handover, actor: Actor, *,
                             permit: Permit | None = None, key: Keyed | None = None,
                             refusal: Refusal | None = None) -> HandedOn:
        """Hand several cases on in one decision, all or none (services/cases/reassignment.py),
        once per key; then tell each case's workflow."""
        reassignments = Reassignments(self.cases)
        if key is not None and (refused := await self._blocking(
                reassignments.recorded_refusal, key)) is not None:
            return HandedOn([], refused)
        try:
            moved, first = await self._blocking(
                lambda: reassignments.reassign(handover, actor_id=actor.id,
                                               actor_role=actor.role, permit=permit, key=key))
        except DomainError as error:
            if key is None or refusal is None:
                raise
            answered, problem, headers = await refusal(error)
            outcome = await self._blocking(self.idempotency.refused, key, answered, problem,
                                           headers)
            if outcome.problem == problem:
                raise
            return HandedOn([], outcome)
        if not first:
            return HandedOn(moved, Outcome(status=200))
        for case in moved:
            self.tell_workflow(case.case_id)
        return HandedOn(moved)

    def tell_workflow(self, case_id: UUID, *, start: bool = False) -> None:
        """Have the case's workflow started, or told the case changed, once this answer
        has gone: queued, never awaited (services/cases/workflow_sender.py)."""
        self.sender.tell(str(case_id), start=start)

    async def close(self, grace_seconds: float = 5.0) -> None:
        """Tell the workflows still queued, for at most `grace_seconds` (the process is
        stopping; the worker's reconciler tells any left)."""
        await self.sender.close(grace_seconds)
