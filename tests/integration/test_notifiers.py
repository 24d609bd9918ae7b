"""Reminders reach people by SMTP email and webhook, against real loopback servers."""

import ssl

import pytest

from services.cases.workflow_contract import Notice
from services.cases.workflow_gateway import WorkflowGateway
from services.reminders.notifiers import DeliveryFailed, EmailNotifier, WebhookNotifier
from tests.conftest import LOOPBACK, free_port
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy

NOTICE = Notice(key="diagnosis:2026-01-05T09:00:00+00:00:before", case_id="c-1",
                authority="Northshire County Council", region="North West",
                subject="Northshire County Council: reminder of the diagnosis deadline",
                body="The diagnosis is due.", email_to="coordinators@riep.example",
                webhook_url="")


def test_an_email_reaches_the_smtp_server_with_the_reminder_as_its_message_id(mailbox):
    box, port = mailbox
    EmailNotifier("127.0.0.1", port, "casework@riep.example").send(NOTICE)
    [message] = box.messages
    assert message["To"] == "coordinators@riep.example"
    assert message["Subject"] == NOTICE.subject
    assert "diagnosis" in message["Message-ID"]


def test_an_unreachable_smtp_server_is_a_failure_to_retry():
    with pytest.raises(DeliveryFailed, match="coordinators@riep.example"):
        EmailNotifier("127.0.0.1", free_port(), "casework@riep.example", timeout=2).send(NOTICE)


def test_a_webhook_posts_the_notice_with_an_idempotency_key(receiver):
    hook = WebhookNotifier(allowed_hosts=LOOPBACK)
    hook.post(Notice(**{**vars(NOTICE), "webhook_url": receiver.url}))
    assert receiver.posts[0]["subject"] == NOTICE.subject
    assert receiver.keys == [NOTICE.key]


def test_a_webhook_pays_for_its_tls_context_once_not_at_every_post(receiver, monkeypatch):
    """Building one loads every CA certificate; per post, a refusing webhook's retries
    took the worker's CPU from the timetable."""
    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(1) or real(*a, **k))
    webhook = WebhookNotifier(allowed_hosts=LOOPBACK)
    for n in range(3):
        webhook.post(Notice(**{**vars(NOTICE), "key": f"k{n}", "webhook_url": receiver.url}))
    with pytest.raises(DeliveryFailed):
        webhook.post(NOTICE, f"http://127.0.0.1:{free_port()}/hook")
    assert len(receiver.posts) == 3 and len(made) == 1


def test_a_webhook_answering_an_error_is_a_failure_to_retry(receiver):
    receiver.failures = 1
    with pytest.raises(DeliveryFailed, match="503"):
        WebhookNotifier(allowed_hosts=LOOPBACK).post(
            Notice(**{**vars(NOTICE), "webhook_url": receiver.url}))


async def test_a_failing_webhook_is_retried_and_the_reminder_is_recorded_once(
    cases, policies, receiver, mailbox, escalation_worker, client, task_queue
):
    receiver.failures = 2  # the first two posts are refused; backoff brings the third
    # one reminder, once missed; the joint meeting it then proposes is an hour away
    fast_policy(policies, receiver, remind_before="PT0S", missed_reminder_limit=1,
                remind_every="PT1H")
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    await eventually(lambda: receiver.posts, timeout=30)
    recorded = [e for e in cases.history(case_id) if e["type"] == "ReminderIssued"]
    assert len(recorded) == 1
    assert receiver.refused == 2 and receiver.keys == [recorded[0]["data"]["reminder_key"]]
    assert len(mailbox[0].messages) == 1  # the email went once, whatever the webhook did
