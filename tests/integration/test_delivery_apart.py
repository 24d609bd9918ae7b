"""A channel that is down delays no reminder: delivery runs apart from the timetable.

Here a failed delivery waits five to ten seconds, then ten to twenty, before
its last attempt, while the reminders fall three seconds apart: were the
workflow to wait for a delivery, the second reminder would be at least twelve
seconds late. The
margin allowed (2.5 s) is for a busy machine, far below what waiting would cost.
"""

from datetime import timedelta

import pytest

from services.notifiers import NotifierSettings
from services.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import (  # noqa: F401 - fixtures
    ACTOR,
    escalation_worker,
    fast_policy,
    mailbox,
    policies,
    refusing_url,
)

EVERY = timedelta(seconds=3)
ON_TIME = timedelta(seconds=2.5)


@pytest.fixture
def notifier_settings(mailbox) -> NotifierSettings:
    """Slow retries: a failing delivery takes fifteen seconds or more to give up."""
    return NotifierSettings(smtp_host="127.0.0.1", smtp_port=mailbox[1], delivery_attempts=3,
                            delivery_first_retry_seconds=10, delivery_max_retry_seconds=20)


def reminders(cases, case_id) -> list[dict]:
    return [e for e in cases.history(case_id) if e["type"] == "ReminderIssued"]


def step_time(reminder: dict):
    """Missed-deadline reminder n falls (n - 1) intervals after the due time."""
    number = int(reminder["data"]["reminder_key"].rsplit("missed-", 1)[-1])
    return reminder["data"]["due"] + (number - 1) * EVERY


async def test_a_webhook_that_refuses_every_connection_delays_no_reminder(
    cases, policies, mailbox, escalation_worker, client, task_queue
):
    fast_policy(policies, webhook_url=refusing_url(), remind_before="PT3S", remind_every="PT3S",
                missed_reminder_limit=3)  # the notice is longer than the deadline: no "before"
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    issued = await eventually(lambda: len(reminders(cases, case_id)) == 3 and
                              reminders(cases, case_id), timeout=40)
    lateness = [r["recorded_at"] - step_time(r) for r in issued]
    assert all(timedelta(0) <= late < ON_TIME for late in lateness), lateness
    await eventually(lambda: len(mailbox[0].messages) == 3)  # email went regardless
