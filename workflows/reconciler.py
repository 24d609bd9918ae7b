"""Makes sure every case has its workflow, whatever happened on the request path.

The API starts a workflow right after saving a case, but the process may die
between the two. The reconciler follows the notification log (polling: the
SQLite recorder has no subscribe) and starts any workflow that is missing.
Starting is idempotent by workflow id, so re-reading from the start is safe.
"""

import asyncio
import logging

from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway

log = logging.getLogger(__name__)
OPENING_TOPIC = "Case.ConcernRaised"
REOPENING_TOPIC = "Case.CaseReopened"


class Reconciler:
    def __init__(self, cases: CaseService, gateway: WorkflowGateway, *, poll_seconds: float = 1.0):
        self.cases = cases
        self.gateway = gateway
        self.poll_seconds = poll_seconds
        self.position = 0

    async def catch_up(self) -> int:
        """Start workflows for cases opened or reopened after `position`; returns how many."""
        seen = 0
        while True:
            batch = await asyncio.to_thread(
                self.cases.recorder.select_notifications, start=self.position + 1, limit=500
            )
            if not batch:
                return seen
            for notification in batch:
                reopened = notification.topic.endswith(REOPENING_TOPIC)
                if reopened or notification.topic.endswith(OPENING_TOPIC):
                    await self.gateway.ensure_started(str(notification.originator_id),
                                                      reopened=reopened)
                    seen += 1
            self.position = batch[-1].id

    async def run_forever(self) -> None:
        while True:
            try:
                await self.catch_up()
            except Exception:  # keep following; the next poll retries
                log.exception("reconciler pass failed; retrying")
            await asyncio.sleep(self.poll_seconds)
