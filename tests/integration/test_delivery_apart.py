"""A channel that is down delays no reminder: delivery runs apart from the timetable.

Here a failed delivery waits five to ten seconds, then ten to twenty, before
its last attempt, while the reminders fall three seconds apart: were the
workflow to wait for a delivery, the second reminder would be at least twelve
seconds late. The
margin allowed (2.5 s) is for a busy machine, far below what waiting would cost.
"""

import socket
from collections.abc import Iterator
from datetime import timedelta

import pytest

from services.cases.workflow_contract import Notice, notice_task_queue, notice_workflow_id
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy, refusing_url

EVERY = timedelta(seconds=3)
ON_TIME = timedelta(seconds=2.5)


@pytest.fixture
def notifier_settings(settings: Settings, mailbox) -> Settings:
    """Slow retries: a failing delivery takes fifteen seconds or more to give up."""
    return settings.model_copy(update=dict(
        smtp_host="127.0.0.1", smtp_port=mailbox[1], delivery_attempts=3,
        delivery_first_retry_seconds=10, delivery_max_retry_seconds=20))


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


@pytest.fixture
def silent_url() -> Iterator[str]:
    """A webhook that takes every connection and never answers: each attempt holds
    its thread until the delivery timeout."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


async def test_deliveries_that_hang_hold_no_thread_a_reminder_needs(
    cases, policies, mailbox, escalation_worker, client, task_queue, silent_url
):
    """Six cases at once against a webhook that never answers: six deliveries wait ten
    seconds each, more than the worker's four threads for steps. On the notices' own
    queue they wait there, and every reminder is still taken on time."""
    fast_policy(policies, webhook_url=silent_url, remind_before="PT3S", remind_every="PT3S",
                missed_reminder_limit=3)
    ids = [cases.open_case(**OPEN_CASE, **ACTOR) for _ in range(6)]
    gateway = WorkflowGateway(client, task_queue)
    for case_id in ids:
        await gateway.ensure_started(str(case_id))
    issued = await eventually(
        lambda: all(len(reminders(cases, c)) == 3 for c in ids)
        and [r for c in ids for r in reminders(cases, c)], timeout=60)
    lateness = [r["recorded_at"] - step_time(r) for r in issued]
    assert all(timedelta(0) <= late < ON_TIME for late in lateness), lateness
    notice = Notice(key=issued[0]["data"]["reminder_key"], case_id=str(ids[0]), authority="",
                    region="", subject="", body="")
    delivery = await client.get_workflow_handle(notice_workflow_id(notice)).describe()
    assert delivery.task_queue == notice_task_queue(task_queue)
