"""A worker killed mid-case loses no reminder and duplicates none.

The worker runs as a real subprocess (`casework worker`), killed
with SIGKILL between two steps and started again while steps fall due.
"""

import asyncio
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from services.cases.service import CaseService
from services.cases.workflow_contract import Notice, notice_workflow_id
from services.cases.workflow_gateway import WorkflowGateway
from services.platform.settings import Settings
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import ACTOR, fast_policy, refusing_url

ROOT = Path(__file__).resolve().parents[2]


def start_worker(settings: Settings, temporal: WorkflowEnvironment, task_queue: str):
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
           "CASEWORK_TASK_QUEUE": task_queue, "CASEWORK_STORE": settings.store,
           "CASEWORK_DATA_DIR": str(settings.data_dir),
           "CASEWORK_POSTGRES_URL": settings.postgres_url,
           "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema, **settings.policy_env()}
    return subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kinds(cases: CaseService, case_id, kind: str) -> list[dict]:
    return [e for e in cases.history(case_id) if e["type"] == kind]


async def test_a_worker_killed_mid_case_and_restarted_loses_and_duplicates_nothing(
    settings, cases, policies, temporal, client, task_queue
):
    fast_policy(policies)
    gateway = WorkflowGateway(client, task_queue)
    worker = start_worker(settings, temporal, task_queue)
    try:
        # a first case shows the worker process is up, so the second's notice is not missed
        warm_up = cases.open_case(**OPEN_CASE, **ACTOR)
        await gateway.ensure_started(str(warm_up))
        await eventually(lambda: gateway.case_status(str(warm_up)), timeout=30)
        case_id = cases.open_case(**OPEN_CASE, **ACTOR,
                                  diagnosis_due=datetime.now(UTC) + timedelta(seconds=3))
        cases.acknowledge_need(case_id, reason="the council asks for support", **ACTOR)
        await gateway.ensure_started(str(case_id))
        await eventually(lambda: kinds(cases, case_id, "ReminderIssued"), timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        await asyncio.sleep(3)  # two missed reminders and an escalation fall due meanwhile
        assert len(kinds(cases, case_id, "ReminderIssued")) == 1
        worker = start_worker(settings, temporal, task_queue)
        await eventually(lambda: kinds(cases, case_id, "EscalationProposed"), timeout=60)
        await eventually(lambda: len(kinds(cases, case_id, "ReminderIssued")) == 7)
        await asyncio.sleep(2)
    finally:
        worker.kill()
        worker.wait()
    keys = [r["data"]["reminder_key"] for r in kinds(cases, case_id, "ReminderIssued")]
    assert len(keys) == len(set(keys)) == 7
    assert [m["data"]["to_stage"] for m in kinds(cases, case_id, "StageChanged")] == ["RIEP"]
    [proposal] = kinds(cases, case_id, "EscalationProposed")  # never a move by itself
    assert proposal["data"]["to_stage"] == "government meeting"


async def test_a_delivery_being_retried_when_the_worker_dies_ends_recorded_once(
    settings, cases, policies, temporal, client, task_queue, monkeypatch
):
    """Temporal keeps a delivery's retries: a worker killed between attempts and started
    again goes on with the next, and the outcome is recorded once, after every attempt."""
    for name, value in (("ATTEMPTS", "4"), ("FIRST_RETRY_SECONDS", "2")):
        monkeypatch.setenv(f"CASEWORK_DELIVERY_{name}", value)
    hook = refusing_url()
    fast_policy(policies, webhook_url=hook, remind_before="PT0S", missed_reminder_limit=1,
                remind_every="PT1H")
    worker = start_worker(settings, temporal, task_queue)
    try:
        case_id = cases.open_case(**OPEN_CASE, **ACTOR)
        await WorkflowGateway(client, task_queue).ensure_started(str(case_id))
        [reminder] = await eventually(lambda: kinds(cases, case_id, "ReminderIssued"), timeout=30)
        notice = Notice(key=reminder["data"]["reminder_key"], case_id=str(case_id),
                        authority="", region="", subject="", body="")
        delivery = client.get_workflow_handle(notice_workflow_id(notice))
        await eventually(lambda: attempts_begun(delivery), timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        await asyncio.sleep(3)
        assert not kinds(cases, case_id, "NoticeFailed")
        worker = start_worker(settings, temporal, task_queue)
        [failed] = await eventually(lambda: kinds(cases, case_id, "NoticeFailed"), timeout=90)
        await asyncio.sleep(2)
    finally:
        worker.kill()
        worker.wait()
    assert (failed["data"]["address"], failed["data"]["attempts"]) == (hook, 4)
    assert len(kinds(cases, case_id, "NoticeFailed")) == 1


async def attempts_begun(delivery) -> bool:
    """Whether the delivery's first attempt has failed and Temporal waits to try again."""
    try:
        pending = (await delivery.describe()).raw_description.pending_activities
    except RPCError:
        return False
    return bool(pending) and pending[0].attempt >= 2
