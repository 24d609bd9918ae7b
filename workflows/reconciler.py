"""Makes sure every case has its workflow, and that the workflow hears of every change.

The API answers a command once its event is stored and tells the case's workflow
afterwards, in the background (services/cases/workflow_sender.py); the process may
die before it does, or Temporal may not answer. The reconciler follows the
notification log (polling: the SQLite recorder has no subscribe) and

- starts the workflow of every case opened or reopened, reading the log from its
  start each time the worker starts, so that after a restore onto a new Temporal
  every open case gets its workflow again (starting is idempotent by workflow id);
- wakes (signals `case_changed`) the workflow of every case a person's command
  changed since its wake position, which is kept in the store
  (services/cases/workflow_wakes.py), so a worker started again after the API died
  still wakes what the API did not tell. The workflow's own records (reminders,
  failed steps, notices' outcomes) wake no one: the workflow knows of them, and a
  burst of 1,000 reminders must not cost 1,000 more workflow tasks.

A workflow told twice, by the API and by the reconciler, reads its case once more;
nothing is recorded twice, since every step it records is keyed.
"""

import asyncio
import logging
from collections.abc import Sequence

from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from domain.case import Case
from services.cases.service import CaseService
from services.cases.workflow_gateway import WorkflowGateway
from services.cases.workflow_wakes import WakePosition

log = logging.getLogger(__name__)
OPENING_TOPIC = "Case.ConcernRaised"
REOPENING_TOPIC = "Case.CaseReopened"
CASE_TOPICS = get_topic(Case) + "."
WORKFLOW_RECORDS = frozenset(get_topic(event) for event in (
    Case.ReminderIssued, Case.AutomatedStepFailed, Case.NoticeDelivered, Case.NoticeFailed))
"""What the case's workflow itself records: its own steps, and its notices' outcomes."""
WAKES_AT_ONCE = 20


def changed_by_a_person(topic: str) -> bool:
    """A case event its workflow has not heard of: anything but what the workflow records
    (and the opening or reopening, which start it)."""
    return (topic.startswith(CASE_TOPICS) and topic not in WORKFLOW_RECORDS
            and not topic.endswith((OPENING_TOPIC, REOPENING_TOPIC)))


class Reconciler:
    def __init__(self, cases: CaseService, gateway: WorkflowGateway, *,
                 poll_seconds: float = 1.0, wakes: WakePosition | None = None):
        self.cases = cases
        self.gateway = gateway
        self.poll_seconds = poll_seconds
        self.position = 0
        self.wakes = wakes  # None: wake only what changes after the first pass began
        self.woken_to: int | None = None
        self.woken = 0  # signals sent, since this reconciler began

    async def catch_up(self) -> int:
        """Start workflows for cases opened or reopened after `position`, and wake those of
        cases changed after the wake position; returns how many it started."""
        if self.woken_to is None:
            self.woken_to = await asyncio.to_thread(self._wake_position)
        started = 0
        while True:
            batch = await asyncio.to_thread(
                self.cases.recorder.select_notifications, start=self.position + 1, limit=500
            )
            if not batch:
                return started
            started += await self._follow(batch)
            self.position = batch[-1].id
            if self.position > self.woken_to:
                self.woken_to = self.position
                if self.wakes is not None:
                    await asyncio.to_thread(self.wakes.save, self.position)

    def _wake_position(self) -> int:
        head = self.cases.recorder.max_notification_id() or 0
        return self.wakes.load(head) if self.wakes is not None else head

    async def _follow(self, batch: Sequence[Notification]) -> int:
        """Start what was opened or reopened, then wake what people changed, each case
        once however often it appears in the batch; how many it started."""
        assert self.woken_to is not None
        starts: dict[str, bool] = {}  # case id -> reopened
        changed: dict[str, None] = {}
        for notification in batch:
            case_id, topic = str(notification.originator_id), notification.topic
            if topic.endswith((OPENING_TOPIC, REOPENING_TOPIC)):
                starts[case_id] = starts.get(case_id, False) or topic.endswith(REOPENING_TOPIC)
            elif notification.id > self.woken_to and changed_by_a_person(topic):
                changed[case_id] = None
        for case_id, reopened in starts.items():
            await self.gateway.ensure_started(case_id, reopened=reopened)
        woken = list(changed)
        for first in range(0, len(woken), WAKES_AT_ONCE):
            await asyncio.gather(*(self.gateway.case_changed(case_id, or_raise=True)
                                   for case_id in woken[first:first + WAKES_AT_ONCE]))
        self.woken += len(woken)
        return len(starts)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.catch_up()
            except Exception:  # keep following; the next poll retries
                log.exception("reconciler pass failed; retrying")
            await asyncio.sleep(self.poll_seconds)
