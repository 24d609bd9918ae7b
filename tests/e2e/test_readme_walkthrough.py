"""The README's walkthrough, its commands taken from the README and run as written.

The service is started with the README's own `make run` line, on free ports and
a throwaway data directory (set through the variables the README names).
"""

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import WHOLE_SERVICE, free_port

# Starts the whole service (dev server, API, workers): under pytest-xdist, one such
# test at a time, in one worker (tests/conftest.py, WHOLE_SERVICE).
pytestmark = WHOLE_SERVICE

ROOT = Path(__file__).resolve().parents[2]


def walkthrough_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Try it:", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def _bash(script: str, env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    made = dict(os.environ, CASEWORK_DATA_DIR=str(tmp_path / "var"),
                CASEWORK_API_PORT=str(free_port()),
                CASEWORK_DEV_TEMPORAL_PORT=str(free_port()),
                CASEWORK_DEV_TEMPORAL_UI_PORT=str(free_port()),
                CASEWORK_WORKER_METRICS_PORT=str(free_port()))
    made.pop("TEMPORAL_ADDRESS", None)
    return made


def _start(block: str, env: dict[str, str]) -> subprocess.Popen:
    service = subprocess.Popen(["bash", "-c", block], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{env['CASEWORK_API_PORT']}/health"
    began = time.monotonic()
    while time.monotonic() - began < 120:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        assert service.poll() is None, "make run exited during start-up"
        time.sleep(0.5)
    raise AssertionError("/health never answered 200")


def _eventually_types(url: str, headers: dict[str, str], wanted: str) -> list[str]:
    """The history's event types, once `wanted` is among them (the reminder's timer)."""
    began = time.monotonic()
    while True:
        types = [e["type"] for e in httpx.get(url, headers=headers).json()]
        if wanted in types or time.monotonic() - began > 60:
            return types
        time.sleep(0.5)


def test_the_walkthrough_runs_as_written(env):
    first_user, start, open_case, diagnose, bad_input = walkthrough_blocks()
    env["TOKEN"], env["API"] = _bash(first_user + '\necho "$TOKEN"; echo "$API"',
                                     env).split()
    assert env["API"] == f"http://127.0.0.1:{env['CASEWORK_API_PORT']}"
    service = _start(start, env)
    try:
        *history, env["case"] = _bash(open_case + 'echo "$case"', env).strip().splitlines()
        assert [e["type"] for e in json.loads("\n".join(history))][0] == "ConcernRaised"
        headers = {"Authorization": f"Bearer {env['TOKEN']}"}
        url = f"{env['API']}/cases/{env['case']}/history"
        assert "ReminderIssued" in _eventually_types(url, headers, "ReminderIssued")
        answer = json.loads(_bash(diagnose, env))
        assert answer["diagnosis"]["summary"] == "Weak corporate capacity", answer
        assert answer["version"] == 3
        problem = json.loads(_bash(bad_input, env))
        assert problem["status"] == 422
        assert {e["field"] for e in problem["errors"]} >= {"source", "issue_type"}
    finally:
        os.killpg(service.pid, signal.SIGTERM)
        service.wait(timeout=60)
