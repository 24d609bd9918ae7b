"""An API process killed with SIGKILL while people read a case: every read it answered is in
the access log (the record is written before the answer), and the chain still verifies."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest

from services.audit.access_log import AccessLogBook
from services.bootstrap import build_services
from tests.conftest import free_port
from tests.e2e.conftest import AUTHORITIES, bearer
from tests.helpers import OPEN_CASE

pytestmark = pytest.mark.slow


def _a_case_and_a_reader(settings) -> tuple[str, str]:
    built = build_services(settings)
    try:
        for authority in AUTHORITIES:
            built.registers.register_authority(actor_id="test", **authority)
        case_id = built.cases.open_case(**OPEN_CASE, actor_id="cora", actor_role="coordinator")
        built.identity.register_user(username="ines", role="inspector")
        return str(case_id), built.identity.issue_token("ines")
    finally:
        built.close()


def _environment(settings) -> dict[str, str]:
    env = dict(os.environ, CASEWORK_STORE=settings.store,
               CASEWORK_DATA_DIR=str(settings.data_dir),
               TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}")  # none: reads need no Temporal
    if settings.store == "postgres":
        env |= {"CASEWORK_POSTGRES_URL": settings.postgres_url,
                "CASEWORK_POSTGRES_SCHEMA": settings.postgres_schema}
    return env


def _started(url: str, api: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and api.poll() is None:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the API did not start")


def test_no_answered_read_is_lost_when_the_api_is_killed(settings, tmp_path):
    case_id, token = _a_case_and_a_reader(settings)
    port = free_port()
    with open(tmp_path / "api.log", "wb") as log:
        api = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory",
                                "api.main:production_app", "--port", str(port),
                                "--no-access-log"], env=_environment(settings),
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    answered: list[str] = []
    stop = threading.Event()

    def read() -> None:
        with httpx.Client(base_url=url, timeout=30) as client:
            while not stop.is_set():
                rid = uuid.uuid4().hex
                try:
                    answer = client.get(f"/cases/{case_id}/history",
                                        headers={**bearer(token), "X-Request-ID": rid})
                except httpx.HTTPError:
                    return  # the API is gone
                if answer.status_code == 200:
                    answered.append(rid)

    try:
        _started(url, api)
        readers = [threading.Thread(target=read) for _ in range(6)]
        for reader in readers:
            reader.start()
        time.sleep(3)
        api.send_signal(signal.SIGKILL)
        api.wait(timeout=10)
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    finally:
        stop.set()
        if api.poll() is None:
            api.kill()
    book = AccessLogBook(settings)
    try:
        recorded = {r.request_id for r in book.every()}
        assert book.verify() is None
    finally:
        book.close()
    assert len(answered) > 20
    assert set(answered) <= recorded
