"""`make run`'s entry point as a user runs it: up, a case, a clean stop, a restart."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from tests.conftest import WHOLE_SERVICE, free_port
from tests.helpers import OPEN_CASE, event_types, eventually

# Starts the whole service (dev server, API, workers): under pytest-xdist, one such
# test at a time, in one worker (tests/conftest.py, WHOLE_SERVICE).
pytestmark = WHOLE_SERVICE


def register_council(env: dict[str, str]) -> None:
    """The tests' council in the register of authorities of the service `env` configures,
    its duties done today (so no duty reminder runs beside the test's own)."""
    script = ("from datetime import date\n"
              "from services.registers.service import RegisterService\n"
              "from services.platform.settings import Settings\n"
              "registers = RegisterService(Settings().eventsourcing_env())\n"
              f"registers.register_authority(name={OPEN_CASE['authority']!r}, "
              f"authority_type='county', region={OPEN_CASE['region']!r}, actor_id='test', "
              "last_self_evaluation=date.today(), last_peer_challenge=date.today())\n"
              "registers.close()\n")
    subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True)


class RunningService:
    def __init__(self, data_dir: Path) -> None:
        self.api_port, self.temporal_port = free_port(), free_port()
        self.worker_metrics_port = free_port()
        self.env = dict(
            os.environ, CASEWORK_DATA_DIR=str(data_dir), CASEWORK_API_PORT=str(self.api_port),
            CASEWORK_DEV_TEMPORAL_PORT=str(self.temporal_port),
            CASEWORK_DEV_TEMPORAL_UI_PORT=str(free_port()), CASEWORK_DIAGNOSIS_DEADLINE="PT30S",
            CASEWORK_WORKER_METRICS_PORT=str(self.worker_metrics_port),
        )
        self.env.pop("TEMPORAL_ADDRESS", None)
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / "make-run.log"

    def first_coordinator(self) -> dict[str, str]:
        """Create the first user with the command line, as the README says, and use its token;
        the tests' council goes in the register of authorities."""
        register_council(self.env)
        token = subprocess.run(
            [sys.executable, "-m", "deploy.cli", "users", "add", "cora", "--role",
             "coordinator", "--region", OPEN_CASE["region"]],
            env=self.env, capture_output=True, text=True, check=True).stdout.strip()
        return {"Authorization": f"Bearer {token}"}

    def start(self) -> float:
        """Start and return the seconds until /health/ready answered 200."""
        began = time.monotonic()
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "deploy.cli", "run"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - began < 90:
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, "make run exited during start-up"
            time.sleep(0.5)
        raise AssertionError("/health/ready never answered 200")

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def _processes_mentioning(text: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if text in line and "ps -eo" not in line]


async def _described(handle):
    """The workflow's description once it has started, else None."""
    try:
        return await handle.describe()
    except RPCError:
        return None


@pytest.fixture
def service(tmp_path: Path):
    running = RunningService(tmp_path / "var")
    yield running
    if running.process and running.process.poll() is None:
        running.process.kill()


async def test_make_run_keeps_cases_and_pending_timers_across_a_restart(service, tmp_path):
    auth = service.first_coordinator()
    assert service.start() < 60
    key = tmp_path / "keys" / "checkpoint-ed25519.pem"  # outside the data directory
    assert key.stat().st_mode & 0o777 == 0o600 and (tmp_path / "var").stat().st_mode & 0o777 == 0o700
    for sqlite_file in (tmp_path / "var").glob("*.sqlite*"):  # the dev server's state too
        assert sqlite_file.stat().st_mode & 0o777 == 0o600, sqlite_file
    written = httpx.post(f"{service.url}/checkpoints", headers=auth, timeout=10)
    assert written.status_code == 201, written.text
    created = httpx.post(f"{service.url}/cases", json=OPEN_CASE, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    case = created.json()
    temporal = await Client.connect(f"127.0.0.1:{service.temporal_port}")
    handle = temporal.get_workflow_handle(f"case-{case['id']}")
    run_id = (await eventually(lambda: _described(handle))).run_id  # started after the answer

    assert service.stop() == 0
    assert _processes_mentioning(str(tmp_path)) == [], "a process outlived make run"

    service.start()
    assert httpx.get(f"{service.url}/cases/{case['id']}", headers=auth).json()["summary"] == OPEN_CASE["summary"]
    temporal = await Client.connect(f"127.0.0.1:{service.temporal_port}")
    assert (await temporal.get_workflow_handle(f"case-{case['id']}").describe()).run_id == run_id

    def history():
        return httpx.get(f"{service.url}/cases/{case['id']}/history", headers=auth).json()

    await eventually(lambda: "ReminderIssued" in event_types(history()), timeout=60)
    assert event_types(history()) == ["ConcernRaised", "ReminderIssued"]
    assert service.stop() == 0
