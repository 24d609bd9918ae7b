"""Delivery never holds up the timetable, and every outcome goes on the case's record."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from services.cases.workflow_contract import Notice, RetrySchedule, notice_workflow_id, retry_wait
from services.cases.workflow_gateway import WorkflowGateway
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, REGION, fast_policy, refusing_url
from tests.unit.case_builder import ACTIONS


def reminders(cases, case_id) -> list[dict]:
    return [e for e in cases.history(case_id) if e["type"] == "ReminderIssued"]


def failed_webhooks() -> float:
    """The worker's /metrics figure of webhook deliveries that failed after their retries."""
    value = REGISTRY.get_sample_value("casework_notices_failed_total", {"channel": "webhook"})
    return value or 0.0


def webhook_attempts_failed() -> float:
    value = REGISTRY.get_sample_value("casework_notices_delivered_total",
                                      {"channel": "webhook", "outcome": "failed"})
    return value or 0.0


def outcomes(cases, case_id, kind: str) -> list[dict]:
    return [e["data"] for e in cases.history(case_id) if e["type"] == kind]


async def test_every_delivery_outcome_is_on_the_case_and_a_final_failure_alerts_coordinators(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue, caplog
):
    caplog.set_level(logging.INFO, logger="casework.notices")
    identity.register_user(username="cora", role="coordinator", region=REGION,
                           email="cora@riep.example")
    hook = refusing_url()
    # one reminder, once missed; the joint meeting it then proposes is an hour away
    fast_policy(policies, webhook_url=hook, remind_before="PT0S", missed_reminder_limit=1,
                remind_every="PT1H")
    failed_before = failed_webhooks()
    attempts_before = webhook_attempts_failed()
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    [failed] = await eventually(lambda: outcomes(cases, case_id, "NoticeFailed"), timeout=30)
    [reminder] = reminders(cases, case_id)
    assert failed["notice_key"] == reminder["data"]["reminder_key"]
    assert (failed["channel"], failed["address"], failed["attempts"]) == ("webhook", hook, 3)
    assert "refused" in failed["reason"].lower()
    delivered = await eventually(lambda: outcomes(cases, case_id, "NoticeDelivered"))
    assert {(d["channel"], d["address"]) for d in delivered} >= {
        ("email", "cora@riep.example"), ("email", "coordinators@riep.example")}
    assert failed_webhooks() == failed_before + 1
    assert webhook_attempts_failed() == attempts_before + 3
    alert = await eventually(lambda: [m for m in mailbox[0].messages
                                      if "did not reach" in m["Subject"]])
    assert alert[0]["To"] == "cora@riep.example" and hook in alert[0]["Subject"]
    attempts = [r for r in caplog.records if f"by webhook to {hook}" in r.getMessage()]
    assert len(attempts) == 3 and not any(r.exc_info for r in attempts)
    assert "Traceback" not in caplog.text
    retried = await delivery_history(client, reminder["data"]["reminder_key"], case_id)
    assert "TIMER_STARTED" not in retried  # Temporal retried the attempts, not the workflow
    # one activity per delivery, its retries in it: the webhook, two emails, the alert's
    assert retried.count('"name": "deliver_and_record"') == 4
    assert retried.count("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED") == 4


async def delivery_history(client, key: str, case_id) -> str:
    """The notice's delivery workflow's history, once it has finished."""
    notice = Notice(key=key, case_id=str(case_id), authority="", region="", subject="", body="")
    handle = client.get_workflow_handle(notice_workflow_id(notice))
    await handle.result()
    return (await handle.fetch_history()).to_json()


def test_retries_back_off_exponentially_with_jitter_up_to_the_cap():
    retry = RetrySchedule(attempts=8, first_wait_seconds=1, max_wait_seconds=10)
    assert [retry_wait(retry, n, 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1, 2, 4, 5]
    assert [retry_wait(retry, n, 1.0) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert retry_wait(retry, 2, 0.3) != retry_wait(retry, 2, 0.7)


async def test_a_plan_reminder_reaches_the_coordinators_the_adviser_and_the_regions_copy(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue
):
    for user in (dict(username="cora", role="coordinator", region=REGION),
                 dict(username="otto", role="coordinator", region="South East"),
                 dict(username="adam", role="adviser")):
        identity.register_user(**user, email=f"{user['username']}@riep.example")
    fast_policy(policies, missed_reminder_limit=0, plan_agreed="PT3S")
    case_id = cases.open_case(**OPEN_CASE, **ACTOR,
                              diagnosis_due=datetime.now(UTC) + timedelta(hours=1))
    cases.record_diagnosis(case_id, summary="Weak leadership", problem_natures=["capability"],
                           evidence=["inspection"], root_causes=["turnover"], **ACTOR)
    cases.draft_plan(case_id, summary="Stabilise children's services", actions=ACTIONS,
                     adviser_id="adam", **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    plan_mail = await eventually(lambda: len(_plan_mail(mailbox)) >= 3 and _plan_mail(mailbox))
    assert sorted(m["To"] for m in plan_mail) == [
        "adam@riep.example", "coordinators@riep.example", "cora@riep.example"]
    await asyncio.sleep(1)
    assert len(_plan_mail(mailbox)) == 3  # once each


def _plan_mail(mailbox) -> list:
    """The plan deadline's reminders (not the joint meeting then proposed to coordinators)."""
    return [m for m in mailbox[0].messages if "plan-agreed" in m["Message-ID"]
            and "joint-meeting" not in m["Message-ID"]]


async def test_each_reminder_email_reads_as_written_for_a_person_once_per_recipient(
    cases, policies, identity, mailbox, escalation_worker, client, task_queue
):
    identity.register_user(username="cora", role="coordinator", region=REGION,
                           email="cora@riep.example")
    fast_policy(policies)  # a reminder before, two once missed; the case cannot leave local
    case_id = cases.open_case(**OPEN_CASE, **ACTOR)
    await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
    of_the_diagnosis = lambda: [m for m in mailbox[0].messages  # noqa: E731
                                if "joint" not in m["Message-ID"]]
    await eventually(lambda: len(of_the_diagnosis()) >= 6)
    await asyncio.sleep(1.5)
    messages = of_the_diagnosis()
    keys = [r["data"]["reminder_key"] for r in reminders(cases, case_id)
            if r["data"]["deadline"] == "diagnosis"]
    assert len(keys) == 3 and len(messages) == 6
    assert sorted(m["To"] for m in messages) == ["coordinators@riep.example"] * 3 + [
        "cora@riep.example"] * 3
    assert len({m["Message-ID"] for m in messages}) == 6
    assert {m["In-Reply-To"] for m in messages} == {f"<case-{case_id}@casework>"}
    first, last = messages[0], messages[-1]
    subject = str(first["Subject"]).strip()  # a long subject is folded onto its next line
    assert subject.startswith("Northshire County Council: diagnosis due ")
    assert str(last["Subject"]).strip().startswith(
        "Northshire County Council: diagnosis overdue since ")
    text = first.get_body(("plain",)).get_content()
    html = first.get_body(("html",)).get_content()
    assert first.get_content_type() == "multipart/alternative"
    assert "(UK time): due later today" in text
    assert "you will be reminded again at" in text and "What to do: Record the diagnosis" in text
    assert f"Open the case: https://casework.example.org/case/{case_id}" in text
    assert f'href="https://casework.example.org/case/{case_id}"' in html
    last_text = last.get_body(("plain",)).get_content()
    assert "a joint local meeting will be proposed to the RIEP coordinators" in last_text
