"""Tells case workflows of changes in the background, after the command has answered.

A command answers once its event is stored: that is what makes it durable. Telling
the case's workflow (starting it for a new case, else the `case_changed` signal) is a
round trip to Temporal that used to take about nine tenths of every write, so it is
handed here instead and sent a moment later. The hand-over never waits: cases are
queued by id, a case already waiting is told once for all its changes (a start covers
the changes that follow it, since the workflow reads the case after starting), the
queue is bounded, and a tell that fails or does not fit is logged and counted.

Nothing is lost if this process dies with cases still queued: the worker's reconciler
(workflows/reconciler.py) follows the event log and starts or wakes the workflow of
every case a person's command changed. This sender only makes that quicker.
"""

import asyncio
import contextvars
import logging
from collections import OrderedDict
from collections.abc import Callable

from services.cases.workflow_gateway import WorkflowGateway
from services.platform.metrics import WORKFLOW_TELLS

log = logging.getLogger("casework.commands")

QUEUE_LIMIT = 10_000
"""Cases waiting at most; beyond it a case is left to the reconciler (and counted)."""
SENDERS = 8
"""Tells in flight at once: enough to keep pace with many clients, few enough that
a Temporal that has stopped answering holds only these."""
TELL_TIMEOUT_SECONDS = 10.0


class WorkflowSender:
    """A bounded, coalescing queue of cases whose workflows are to be told, and the
    tasks that tell them, in the event loop of the process that writes."""

    def __init__(self, gateway: Callable[[], WorkflowGateway | None], *,
                 delay_seconds: float = 0.0, limit: int = QUEUE_LIMIT,
                 senders: int = SENDERS) -> None:
        self._gateway = gateway  # connected in the background; None until then
        self.delay_seconds = delay_seconds
        self.limit = limit
        self._senders = senders
        # case id -> (start?, the context of the request that queued it: its trace)
        self._waiting: OrderedDict[str, tuple[bool, contextvars.Context]] = OrderedDict()
        self._telling: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._more = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def tell(self, case_id: str, *, start: bool = False) -> None:
        """Queue the case's workflow to be told; returns at once."""
        if self._gateway() is None:
            _not_told(case_id, "not connected to Temporal yet", "not_connected")
            return
        if case_id in self._waiting:
            started, context = self._waiting[case_id]
            self._waiting[case_id] = (started or start, context)
            WORKFLOW_TELLS.labels("coalesced").inc()
            return
        if len(self._waiting) >= self.limit:
            _not_told(case_id, f"{self.limit:,} cases already wait to be told", "dropped")
            return
        self._waiting[case_id] = (start, contextvars.copy_context())
        self._idle.clear()
        self._more.set()
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._send()) for _ in range(self._senders)]

    @property
    def waiting(self) -> int:
        """Cases queued or being told."""
        return len(self._waiting) + len(self._telling)

    async def drain(self, grace_seconds: float) -> bool:
        """Wait until every queued case has been told, at most `grace_seconds` (when the
        process is asked to stop); True when none is left."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace_seconds)
        except TimeoutError:
            log.warning("%d case workflows not told before stopping; the worker's reconciler "
                        "will tell them", self.waiting)
            return False
        return True

    async def close(self, grace_seconds: float = 5.0) -> None:
        await self.drain(grace_seconds)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def _send(self) -> None:
        while True:
            case_id = self._next()
            if case_id is None:
                self._more.clear()
                await self._more.wait()
                continue
            start, context = self._waiting.pop(case_id)
            self._telling.add(case_id)
            try:
                # in the queuing request's context, so the tell joins that request's trace
                await asyncio.create_task(self._tell(case_id, start), context=context)
            finally:
                self._telling.discard(case_id)
                if case_id in self._waiting:
                    self._more.set()  # changed again while being told: tell it again
                elif not self._waiting and not self._telling:
                    self._idle.set()

    def _next(self) -> str | None:
        """The longest-waiting case not being told already (a case is told one at a time,
        so a change made while it is told is told after it)."""
        return next((c for c in self._waiting if c not in self._telling), None)

    async def _tell(self, case_id: str, start: bool) -> None:
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        gateway = self._gateway()
        if gateway is None:
            _not_told(case_id, "not connected to Temporal", "not_connected")
            return
        try:
            async with asyncio.timeout(TELL_TIMEOUT_SECONDS):
                if start:
                    await gateway.ensure_started(case_id)
                    outcome = "started"
                else:
                    signalled = await gateway.case_changed(case_id, or_raise=True)
                    outcome = "signalled" if signalled else "no_workflow"
        except Exception as error:  # noqa: BLE001 - the reconciler tells it instead
            _not_told(case_id, f"{type(error).__name__}: {error}", "failed")
            return
        WORKFLOW_TELLS.labels(outcome).inc()


def _not_told(case_id: str, why: str, outcome: str) -> None:
    """Counted; logged as a warning, except while Temporal has not been reached yet (the
    API is starting, or runs without Temporal), which the readiness check reports."""
    WORKFLOW_TELLS.labels(outcome).inc()
    (log.info if outcome == "not_connected" else log.warning)(
        "case %s: its workflow was not told of the change (%s); the worker's reconciler "
        "will tell it", case_id, why)
