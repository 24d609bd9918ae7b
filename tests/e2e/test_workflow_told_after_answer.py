"""A command answers once its event is stored; its workflow is told afterwards. An API
killed with SIGKILL between the answer and the telling loses nothing: the worker's
reconciler wakes the workflow, which reminds on time, once.

The API and the worker run as real processes (`production_app`, `casework worker`)
on the test's store and Temporal. The API is made to wait a minute before telling a
workflow (CASEWORK_WORKFLOW_TELL_DELAY), so every workflow here hears of every change
from the reconciler alone, and the kill always falls between answer and signal.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from temporalio.api.enums.v1 import EventType

from services.cases.workflow_gateway import WorkflowGateway
from services.cases.workflow_wakes import WakePosition
from services.platform.settings import Settings
from services.policy.service import PolicyService
from tests.conftest import free_port
from tests.e2e.conftest import bearer, register_authorities
from tests.helpers import OPEN_CASE, eventually
from tests.integration.escalation_support import fast_policy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DUE_IN = timedelta(seconds=14)
REMINDERS = ["before", "missed-1"]
"""What the region's timetable reminds of for this case: once before the diagnosis is
due, once when it is missed (and then nothing for an hour)."""


def _environment(settings: Settings, temporal, task_queue: str) -> dict[str, str]:
    env = {**os.environ, "CASEWORK_STORE": settings.store,
           "CASEWORK_DATA_DIR": str(settings.data_dir), "CASEWORK_TASK_QUEUE": task_queue,
           "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
           "CASEWORK_WORKER_METRICS_PORT": "0", **settings.policy_env()}
    if settings.store == "postgres":
        env |= {"CASEWORK_POSTGRES_URL": settings.postgres_url,
                "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema}
    return env


def _start_api(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.main:production_app",
             "--port", str(port), "--no-access-log"],
            cwd=ROOT, env={**env, "CASEWORK_WORKFLOW_TELL_DELAY": "60"},
            stdout=out, stderr=subprocess.STDOUT)


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


async def _up(url: str) -> bool:
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            return (await http.get(f"{url}/health/ready")).status_code == 200
        except httpx.HTTPError:
            return False


async def _serving(url: str, settings: Settings) -> None:
    """The API answers, and the worker's reconciler follows the log: from here on it
    wakes a workflow for every change (before its first pass it starts from the head)."""
    await eventually(lambda: _up(url), timeout=60)
    wakes = WakePosition(settings)
    try:
        await eventually(lambda: wakes.kept() is not None, timeout=60)
    finally:
        wakes.close()


class Coordinator:
    """Cora, through the API: each command answered, and how long it took."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.headers = url, bearer(token)

    async def post(self, path: str, body: dict, version: int | None = None) -> dict:
        headers = {**self.headers, **({"If-Match": f'"{version}"'} if version else {})}
        began = time.monotonic()
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as http:
            answer = await http.post(path, json=body, headers=headers)
        assert answer.status_code in (200, 201), answer.text
        assert time.monotonic() - began < 5  # answered, not held until its workflow is told
        return answer.json()

    async def open_case(self) -> dict:
        due = (datetime.now(UTC) + DUE_IN).isoformat()
        return await self.post("/cases", {**OPEN_CASE, "diagnosis_due": due})

    async def pause(self, case: dict) -> dict:
        return await self.post(f"/cases/{case['id']}/deadline-pauses", {
            "deadline": "diagnosis", "reason": "the council's new chief executive starts"},
            case["version"])

    async def resume(self, case: dict) -> dict:
        return await self.post(f"/cases/{case['id']}/deadline-resumptions", {
            "deadline": "diagnosis", "reason": "the chief executive is in post"},
            case["version"])


async def _deadlines(gateway: WorkflowGateway, case_id: str) -> dict | None:
    status = await gateway.case_status(case_id)
    return status["deadlines"] if status is not None else None


async def _paused(gateway: WorkflowGateway, case_id: str) -> bool:
    """Whether the workflow has read the case with its diagnosis deadline paused."""
    return await _deadlines(gateway, case_id) == {}


async def _signals(client, case_id: str) -> int:
    """How many times the case's workflow was told the case changed."""
    history = await client.get_workflow_handle(f"case-{case_id}").fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
               for e in history.events)


def _reminder_keys(services, case_id: str) -> list[str]:
    return [e["data"]["reminder_key"] for e in services.cases.history(UUID(case_id))
            if e["type"] == "ReminderIssued"]


def _reminders(services, case_id: str) -> list[str]:
    """Which reminders the case records (a key names the deadline, its due time and
    which reminder it is), each recorded once."""
    keys = _reminder_keys(services, case_id)
    assert len(set(keys)) == len(keys), keys
    return sorted(key.rsplit(":", 1)[1] for key in keys)


@pytest.fixture
def quick_region(services, settings):
    """Reminders a second before the diagnosis is due and when it is missed, then only
    hourly: the whole timetable of this test falls within a few seconds."""
    register_authorities(settings)
    fast_policy(PolicyService.beside(services.cases), remind_before="PT1S",
                remind_every="PT1H", missed_reminder_limit=5)


async def test_an_api_killed_between_answer_and_signal_loses_no_reminder(
        settings, services, tokens, temporal, client, task_queue, quick_region, tmp_path):
    env = _environment(settings, temporal, task_queue)
    gateway = WorkflowGateway(client, task_queue)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    worker = _start_worker(env, tmp_path / "worker.log")
    api = _start_api(env, port, tmp_path / "api.log")
    try:
        await _serving(url, settings)
        cora = Coordinator(url, tokens["coordinator"])
        case = await cora.open_case()
        case_id = case["id"]
        # the API waits to tell: the reconciler starts the workflow, then wakes it
        paused = await cora.pause(case)
        await eventually(lambda: _paused(gateway, case_id), timeout=30)
        await cora.resume(paused)
        _kill(api)  # answered; the workflow not yet told
        await eventually(lambda: _deadlines(gateway, case_id), timeout=30)
        await eventually(lambda: len(_reminder_keys(services, case_id)) == len(REMINDERS),
                         timeout=60)
        await asyncio.sleep(3)  # time for a second reminder, were one to be doubled
        assert _reminders(services, case_id) == REMINDERS
        # woken twice, for the pause and the resumption, and never for its own reminders
        assert await _signals(client, case_id) == 2
    finally:
        for process in (api, worker):
            if process.poll() is None:
                _kill(process)


async def test_a_worker_started_again_wakes_what_a_killed_api_never_told(
        settings, services, tokens, temporal, client, task_queue, quick_region, tmp_path):
    """The API and the worker both die between the answer and the signal; the worker,
    started again, wakes the case from the position it kept, and only that case's
    change: not again for the changes it had woken before it died."""
    env = _environment(settings, temporal, task_queue)
    gateway = WorkflowGateway(client, task_queue)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    worker = _start_worker(env, tmp_path / "worker.log")
    api = _start_api(env, port, tmp_path / "api.log")
    try:
        await _serving(url, settings)
        cora = Coordinator(url, tokens["coordinator"])
        case = await cora.open_case()
        case_id = case["id"]
        paused = await cora.pause(case)
        await eventually(lambda: _paused(gateway, case_id), timeout=30)
        _kill(worker)
        await cora.resume(paused)
        _kill(api)
        await asyncio.sleep(2)
        assert await _signals(client, case_id) == 1  # the pause; nobody told it since
        worker = _start_worker(env, tmp_path / "worker.log")
        await eventually(lambda: _deadlines(gateway, case_id), timeout=60)
        await eventually(lambda: "missed-1" in _reminders(services, case_id), timeout=60)
        await asyncio.sleep(3)
        # the worker was down when the first reminder fell due (its workflow tasks wait
        # for the dead worker a while first), and after an outage only the latest is sent
        assert _reminders(services, case_id) in (["missed-1"], REMINDERS)
        assert await _signals(client, case_id) == 2
    finally:
        for process in (api, worker):
            if process.poll() is None:
                _kill(process)
