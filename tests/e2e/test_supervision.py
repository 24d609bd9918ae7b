"""`make run` as an operator meets it: a crashed worker comes back by itself while
the API answers, a second instance on busy ports says what to change, and the
log is JSON lines with the access log in it and no secrets."""

import json
import os
import re
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from tests.conftest import WHOLE_SERVICE, free_port
from tests.e2e.test_make_run import RunningService
from tests.helpers import OPEN_CASE, event_types, eventually

# Starts the whole service (dev server, API, workers): under pytest-xdist, one such
# test at a time, in one worker (tests/conftest.py, WHOLE_SERVICE).
pytestmark = WHOLE_SERVICE


@pytest.fixture
def service(tmp_path):
    running = RunningService(tmp_path / "var")
    yield running
    if running.process and running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def _worker_pids(service: RunningService) -> list[int]:
    return [int(m.group(1)) for line in service.log_lines()
            if (m := re.search(r"worker started \(pid (\d+)\)", line))]


def _json_lines(service: RunningService) -> list[dict]:
    return [json.loads(line) for line in service.log_lines() if line.startswith("{")]


async def test_a_killed_worker_comes_back_while_the_api_keeps_answering(service):
    auth = service.first_coordinator()
    service.start()
    [first_worker] = _worker_pids(service)
    os.kill(first_worker, signal.SIGKILL)

    # The API answers throughout, and records a case while the worker is down.
    assert httpx.get(f"{service.url}/health/ready", timeout=5).status_code == 200
    created = httpx.post(f"{service.url}/cases", json=OPEN_CASE, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    pids = await eventually(lambda: _worker_pids(service)[1:], timeout=30)
    assert pids[0] != first_worker and service.process.poll() is None
    assert any(e["logger"] == "casework.run" and "worker exited (killed by SIGKILL)"
               in e["message"] for e in _json_lines(service))

    def history():
        return httpx.get(f"{service.url}/cases/{case_id}/history", headers=auth).json()

    # The restarted worker (its reconciler) takes up the case: its reminder is recorded.
    await eventually(lambda: "ReminderIssued" in event_types(history()), timeout=90)
    worker_metrics = httpx.get(f"http://127.0.0.1:{service.worker_metrics_port}/metrics").text
    assert 'casework_escalation_steps_recorded_total{action="remind"} 1.0' in worker_metrics

    # A client stalled mid-request (headers sent, body never) does not hold up the stop.
    stalled = socket.create_connection(("127.0.0.1", int(service.url.rsplit(":", 1)[1])))
    stalled.sendall(b"POST /cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    b"\r\nContent-Length: 100\r\n\r\n{")
    assert service.stop() == 0
    stalled.close()
    assert not [line for line in service.log_lines() if "did not stop" in line]


async def test_the_log_is_json_lines_with_the_access_log_and_no_secrets(service):
    auth = service.first_coordinator()
    service.start()
    secret = "a whistleblower in the finance team"
    body = {**OPEN_CASE, "summary": "summary text never logged"}
    created = httpx.post(f"{service.url}/cases", json=body, headers=auth, timeout=10)
    assert created.status_code == 201, created.text
    etag = created.headers["etag"]
    created = created.json()
    added = httpx.post(f"{service.url}/cases/{created['id']}/intelligence",
                       headers={**auth, "If-Match": etag}, json={
        "content": "Leader under investigation", "source": secret,
        "confidentiality": "Chatham House"}, timeout=10)
    assert added.status_code == 200, added.text
    httpx.get(f"{service.url}/cases/{created['id']}", headers={**auth, "X-Request-ID": "req-42"})
    service.stop()

    entries = _json_lines(service)
    access = [e for e in entries if e["logger"] == "casework.access"]
    read = next(e for e in access if e.get("request_id") == "req-42")
    assert read["case_id"] == created["id"] and read["status"] == 200
    assert read["actor"] == "cora" and read["route"] == "/cases/{case_id}"
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    text = service.log_path.read_text()
    token = auth["Authorization"].split()[1]
    assert secret not in text and token not in text
    assert "summary text never logged" not in text and "Leader under" not in text


def test_a_second_instance_on_busy_ports_names_the_port_and_its_variable(service):
    service.start()
    second = subprocess.run([sys.executable, "-m", "deploy.cli", "run"], env=service.env,
                            capture_output=True, text=True, timeout=60)
    assert second.returncode == 2
    assert f"port {service.api_port}" in second.stderr
    assert "CASEWORK_API_PORT" in second.stderr and "CASEWORK_DEV_TEMPORAL_PORT" in second.stderr
    assert "casework is up" not in second.stdout
    assert httpx.get(f"{service.url}/health/ready", timeout=5).status_code == 200
    assert service.stop() == 0


def test_a_worker_whose_metrics_port_is_taken_still_works(tmp_path):
    """Two workers on one host with the default port: the second loses only its metrics."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = dict(os.environ, CASEWORK_DATA_DIR=str(tmp_path / "var"),
                   TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",
                   CASEWORK_WORKER_METRICS_PORT=str(taken.getsockname()[1]))
        worker = subprocess.Popen([sys.executable, "-m", "deploy.cli", "worker"], env=env,
                                  stderr=subprocess.PIPE, text=True)
        try:
            # With no Temporal it waits to connect; it has passed the metrics by then.
            with pytest.raises(subprocess.TimeoutExpired):
                worker.wait(timeout=15)
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=30)
    assert "worker metrics not served" in err and "Traceback" not in err
