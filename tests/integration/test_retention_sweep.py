"""The retention sweep proposes a closed case's disposal to administrators when the
schedule allows, not before, never disposes of it itself, and survives its worker being
killed outright (a real `casework worker` process, SIGKILL, on the real dev server)."""

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from services.bootstrap import Services
from services.platform.settings import Settings
from services.registers.service import AlreadyRegistered
from tests.helpers import EXIT_STRATEGY, OPEN_CASE, eventually

ROOT = Path(__file__).resolve().parents[2]
ACTOR = dict(actor_id="cora", actor_role="coordinator")
KEPT = 8  # seconds a closed case is kept, in this test's schedule


def start_worker(settings: Settings, temporal: WorkflowEnvironment, task_queue: str):
    env = {**os.environ, "TEMPORAL_ADDRESS": temporal.client.service_client.config.target_host,
           "CASEWORK_TASK_QUEUE": task_queue, "CASEWORK_STORE": settings.store,
           "CASEWORK_DATA_DIR": str(settings.data_dir),
           "CASEWORK_POSTGRES_URL": settings.postgres_url,
           "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema,
           "CASEWORK_WORKER_METRICS_PORT": "0",
           "CASEWORK_RETENTION_CASE": f"PT{KEPT}S",
           "CASEWORK_RETENTION_SWEEP_INTERVAL": "PT1S", **settings.policy_env()}
    return subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def close_a_case(services: Services, summary: str):
    with contextlib.suppress(AlreadyRegistered):
        services.registers.register_authority(name=OPEN_CASE["authority"], actor_id="test",
                                              authority_type="county",
                                              region=OPEN_CASE["region"])
    case_id = services.cases.open_case(**{**OPEN_CASE, "summary": summary}, **ACTOR)
    services.cases.close_case(case_id, outcome="improved and handed back",
                              exit_strategy=EXIT_STRATEGY, **ACTOR)
    return case_id, services.cases.get_case(case_id)["closure"]["closed_at"]


def proposed(services: Services) -> dict[str, str]:
    return {row["case_id"]: row["proposed_at"] for row in services.retention.proposed()}


async def test_the_sweep_proposes_disposal_when_due_and_survives_its_worker_killed(
        settings, services: Services, temporal, task_queue):
    worker = start_worker(settings, temporal, task_queue)
    try:
        warm_up, _ = close_a_case(services, "A first closed case shows the sweep runs")
        await eventually(lambda: str(warm_up) in proposed(services), timeout=60)
        case_id, closed_at = close_a_case(services, "Closed with the worker about to die")
        await asyncio.sleep(2)
        assert str(case_id) not in proposed(services)  # kept: not yet due
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        await asyncio.sleep(KEPT)  # the case falls due with no worker running
        assert str(case_id) not in proposed(services)
        worker = start_worker(settings, temporal, task_queue)
        await eventually(lambda: str(case_id) in proposed(services), timeout=60)
        await asyncio.sleep(2)
    finally:
        worker.kill()
        worker.wait()
    at = datetime.fromisoformat(proposed(services)[str(case_id)])
    assert closed_at + timedelta(seconds=KEPT) <= at < datetime.now(UTC)
    assert [r["case_id"] for r in services.retention.proposed()].count(str(case_id)) == 1
    # proposed, never disposed of: the case is there, whole, until an administrator says
    assert services.cases.get_case(case_id)["status"] == "closed"
    assert services.cases.verify(case_id).ok
    assert services.cases.key_store.disposal(case_id) is None
