"""An upload received by the API as it runs in production, in its own process: its peak
memory does not grow with the file, and a kill -9 mid-upload leaves nothing behind."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.conftest import bearer
from tests.e2e.document_uploads import (
    BOUNDARY,
    CONTENT_TYPE,
    FIELDS,
    form,
    part,
)
from tests.e2e.test_make_run import register_council
from tests.helpers import OPEN_CASE

MB = 1_000_000


class Api:
    """`uvicorn api.main:production_app` in its own process, on its own port."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.url = ""
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "api.main:production_app",
                 "--port", str(port), "--no-access-log"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/health", timeout=30).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        pytest.fail("the API did not start")

    def peak_memory(self) -> int:
        """The process's peak resident set so far (VmHWM), in bytes."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmHWM:"))
        return int(line.split()[1]) * 1024

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    env = dict(os.environ, CASEWORK_DATA_DIR=str(tmp_path / "var"),
               TEMPORAL_ADDRESS="127.0.0.1:1", CASEWORK_WORKER_METRICS_PORT="0")
    register_council(env)
    running = Api(env, tmp_path / "api.log")
    running.start()
    yield running
    running.stop()


def _token(api: Api) -> str:
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "users", "add", "cora", "--role", "coordinator",
         "--region", OPEN_CASE["region"]],
        env=api.env, capture_output=True, text=True, check=True).stdout.strip()


def _open_case(client: httpx.Client, token: str) -> str:
    opened = client.post("/cases", json=OPEN_CASE, headers=bearer(token))
    assert opened.status_code == 201, opened.text
    return opened.json()["id"]


def _upload(client: httpx.Client, token: str, case_id: str, content) -> httpx.Response:
    version = client.get(f"/cases/{case_id}", headers=bearer(token)).json()["version"]
    return client.post(f"/cases/{case_id}/documents", content=content, headers={
        **bearer(token), "Content-Type": CONTENT_TYPE, "If-Match": f'"{version}"'})


def _text_file(size: int) -> Iterator[bytes]:
    """A CSV of `size` bytes, made a line at a time as it is sent."""
    head = b"".join(part(k, v) for k, v in FIELDS.items()) + (
        b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="file"; '
        b'filename="returns.csv"\r\n\r\n')
    yield head
    line = b"Northshire County Council,2026-12-01,children's services,42\n"
    block = line * (64 * 1024 // len(line))
    for _ in range(size // len(block)):
        yield block
    yield b"\r\n--" + BOUNDARY.encode() + b"--\r\n"


def test_a_20_mb_upload_grows_the_apis_peak_memory_by_far_less_than_the_file(api):
    token = _token(api)
    with httpx.Client(base_url=api.url, timeout=30) as client:
        case_id = _open_case(client, token)
        warm = _upload(client, token, case_id, form(b"a,b\n1,2\n", "warm-up.csv"))
        assert warm.status_code == 201, warm.text
        before = api.peak_memory()
        uploaded = _upload(client, token, case_id, _text_file(20 * MB))
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json()["size"] > 19 * MB
    grown = api.peak_memory() - before
    print(f"peak memory grew by {grown / MB:.1f} MB for a 20 MB upload")
    assert grown < 8 * MB, f"peak memory grew by {grown / MB:.1f} MB for a 20 MB file"


def _slow_upload(url: str, token: str, case_id: str, version: int) -> socket.socket:
    """Half a file sent, and the connection left open: an upload in the middle."""
    where = urlparse(url)
    sock = socket.create_connection((where.hostname, where.port), timeout=30)
    sock.sendall((f"POST /cases/{case_id}/documents HTTP/1.1\r\nHost: {where.netloc}\r\n"
                  f"Authorization: Bearer {token}\r\nContent-Type: {CONTENT_TYPE}\r\n"
                  f'If-Match: "{version}"\r\nContent-Length: {4 * MB}\r\n\r\n').encode())
    chunks = _text_file(4 * MB)
    for _ in range(20):
        sock.sendall(next(chunks))
    return sock


def test_a_kill_9_mid_upload_leaves_no_document_no_half_file_and_no_orphan(api, tmp_path):
    token = _token(api)
    documents = tmp_path / "var" / "documents"
    with httpx.Client(base_url=api.url, timeout=30) as client:
        case_id = _open_case(client, token)
        version = client.get(f"/cases/{case_id}", headers=bearer(token)).json()["version"]
    sock = _slow_upload(api.url, token, case_id, version)
    deadline = time.monotonic() + 20
    while not list((documents / "incoming").iterdir()):
        assert time.monotonic() < deadline, "the upload never reached the incoming folder"
        time.sleep(0.05)

    api.kill()
    sock.close()
    assert list((documents / "incoming").iterdir())  # what the killed process left
    time.sleep(1.2)  # (the sweep spares a file made within the last second)
    api.start()

    with httpx.Client(base_url=api.url, timeout=30) as client:
        case = client.get(f"/cases/{case_id}", headers=bearer(token)).json()
        assert case["documents"] == [] and case["version"] == version
        missing = client.get(f"/cases/{case_id}/documents/document-1", headers=bearer(token))
        assert missing.status_code == 404
    assert list((documents / "incoming").iterdir()) == []
    assert [p.name for p in documents.iterdir()] == ["incoming"]
