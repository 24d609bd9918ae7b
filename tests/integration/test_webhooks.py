"""Webhooks a receiver can trust: signed, keyed, and shaped as docs/webhooks/ says."""

import time

import httpx
import jsonschema

from services.cases.workflow_gateway import WorkflowGateway
from services.reminders.webhooks import SCHEMAS, signature
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy

SECRET = "north-west-webhook-secret-2026"


async def test_a_receiver_verifies_each_signed_notice_and_refuses_an_altered_or_stale_one(
    cases, policies, receiver, mailbox, escalation_worker, client, task_queue
):
    receiver.secret = SECRET
    fast_policy(policies, receiver, webhook_secret=SECRET, missed_reminder_limit=1)
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    await eventually(lambda: len(receiver.posts) >= 2, timeout=30)
    assert receiver.unsigned == 0  # every request the worker sent verified
    issued = [e["data"]["reminder_key"] for e in cases.history(case_id)
              if e["type"] == "ReminderIssued"]
    assert receiver.keys[:2] == issued[:2]  # the Idempotency-Key is the reminder's key
    reference = cases.get_case(case_id)["reference"]
    for post in receiver.posts:
        jsonschema.validate(post, SCHEMAS[post["type"]])
        assert post["reference"] == reference and f"(case {reference})" in post["subject"]
    box, _ = mailbox  # the region's copy of each email quotes it too
    await eventually(lambda: len(box.messages) >= 1, timeout=30)
    assert all(f"(case {reference})" in subject for subject in box.subjects())
    assert f"The case's reference is {reference}." in box.messages[0].get_body(
        ("plain",)).get_content()
    headers, body = receiver.requests[0]
    assert headers["Casework-Signature"].startswith("v1=")

    def resend(body: bytes, **changed: str) -> int:
        sent = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "host")}
        return httpx.post(receiver.url, content=body, headers={**sent, **changed}).status_code

    assert resend(body) == 204  # the very request verifies
    assert resend(body.replace(b'"remind"', b'"escalate"')) == 401
    stale = str(int(time.time()) - 600)
    assert resend(body, **{"Casework-Timestamp": stale,
                           "Casework-Signature": signature(SECRET, int(stale), body)}) == 401
    assert resend(body, **{"Casework-Signature": signature("another-region-secret!",
                                                           int(headers["Casework-Timestamp"]),
                                                           body)}) == 401
