"""Two API processes and two workers on PostgreSQL, sharing one Temporal server.

Commands go through both APIs at once; then one API and one worker are killed
with SIGKILL while reminders fall due. Nothing acknowledged may be lost or
doubled, every stream must stay contiguous and verified, and every reminder
due must be recorded exactly once by whichever worker survived.
"""

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.conftest import WHOLE_SERVICE, free_port
from tests.e2e.test_make_run import register_council
from tests.helpers import OPEN_CASE, eventually

pytestmark = [pytest.mark.postgres, pytest.mark.slow, WHOLE_SERVICE]
CASES = 6


class Cluster:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.apis: list[tuple[subprocess.Popen, str]] = []
        self.workers: list[subprocess.Popen] = []

    def _spawn(self, argv: list[str], name: str) -> subprocess.Popen:
        with open(self.logs / f"{name}.log", "ab") as log:
            return subprocess.Popen([sys.executable, *argv], env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT)

    def start(self) -> None:
        for n in range(2):
            port = free_port()
            process = self._spawn(["-m", "uvicorn", "--factory", "api.main:production_app",
                                   "--port", str(port), "--no-access-log"], f"api-{n}")
            self.apis.append((process, f"http://127.0.0.1:{port}"))
            self.workers.append(self._spawn(["-m", "workflows.worker"], f"worker-{n}"))

    def stop(self) -> None:
        for process in [p for p, _ in self.apis] + self.workers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [p for p, _ in self.apis] + self.workers:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def cluster(postgres_url, postgres_schema, temporal, tmp_path):
    env = dict(os.environ, CASEWORK_STORE="postgres", CASEWORK_POSTGRES_URL=postgres_url,
               CASEWORK_POSTGRES_SCHEMA=postgres_schema, CASEWORK_DATA_DIR=str(tmp_path / "var"),
               TEMPORAL_ADDRESS=temporal.client.service_client.config.target_host,
               CASEWORK_TASK_QUEUE=f"scale-{uuid.uuid4().hex[:8]}",
               CASEWORK_DIAGNOSIS_DEADLINE="PT40S", CASEWORK_WORKER_METRICS_PORT="0")
    running = Cluster(env, tmp_path)
    running.start()
    yield running
    running.stop()


def _token(env: dict[str, str]) -> str:
    register_council(env)
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", "users", "add", "cora", "--role", "coordinator",
         "--region", OPEN_CASE["region"]],
        env=env, capture_output=True, text=True, check=True).stdout.strip()


async def _add_intelligence(http: httpx.AsyncClient, case_id: str, marker: str,
                            acknowledged: list[tuple[str, int, str]]) -> None:
    """Read the ETag, post, and retry on a conflict; only a 2xx counts as acknowledged."""
    for _attempt in range(20):
        try:
            etag = (await http.get(f"/cases/{case_id}")).headers["etag"]
            answer = await http.post(f"/cases/{case_id}/intelligence", headers={"If-Match": etag},
                                     json={"content": marker, "source": "scale test"})
        except httpx.HTTPError:
            return  # the API died under us: not acknowledged
        if answer.status_code == 200:
            acknowledged.append((case_id, int(answer.headers["etag"].strip('W/"')), marker))
            return
        assert answer.status_code in (409, 412, 503), answer.text


async def _burst(clients, ids, rounds, acknowledged) -> None:
    """Each case gets `rounds` commands at once, spread over the clients; unique markers."""
    await asyncio.gather(*(
        _add_intelligence(clients[(i + r) % len(clients)], case_id,
                          f"marker-{uuid.uuid4().hex}", acknowledged)
        for r in range(rounds) for i, case_id in enumerate(ids)))


async def _check_histories(http: httpx.AsyncClient, ids, acknowledged) -> dict[str, list]:
    histories = {}
    for case_id in ids:
        history = (await http.get(f"/cases/{case_id}/history")).json()
        assert [e["version"] for e in history] == list(range(1, len(history) + 1))
        assert (await http.get(f"/cases/{case_id}/verification")).json()["ok"] is True
        histories[case_id] = history
    for case_id, version, marker in acknowledged:
        event = histories[case_id][version - 1]
        assert marker in str(event), (case_id, version, marker)
    for case_id, history in histories.items():
        markers = Counter(m for c, _v, m in acknowledged if c == case_id
                          for e in history if m in str(e))
        assert all(count == 1 for count in markers.values())
    return histories


def _reminder_keys(history: list[dict]) -> list[str]:
    return [str(e.get("data", e).get("reminder_key")) for e in history
            if e["type"] == "ReminderIssued"]


async def test_two_apis_and_two_workers_lose_nothing_when_one_of_each_is_killed(cluster):
    token = _token(cluster.env)
    headers = {"Authorization": f"Bearer {token}"}
    clients = [httpx.AsyncClient(base_url=url, headers=headers, timeout=15)
               for _, url in cluster.apis]
    try:
        for (process, _url), client in zip(cluster.apis, clients, strict=True):
            await eventually(lambda p=process, c=client: _ready(p, c, cluster.logs), timeout=120)
        ids = []
        for n in range(CASES):
            created = await clients[n % 2].post("/cases", json=OPEN_CASE)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        acknowledged: list[tuple[str, int, str]] = []
        await _burst(clients, ids, 4, acknowledged)
        before = await _check_histories(clients[0], ids, acknowledged)
        assert not any(_reminder_keys(h) for h in before.values()), "reminders came too soon"

        # Kill one of each while commands run and reminders fall due.
        loser_api, _ = cluster.apis[1]
        running = asyncio.create_task(_burst(clients, ids, 6, acknowledged))
        await asyncio.sleep(0.5)
        loser_api.kill()
        cluster.workers[1].kill()
        await running
        survivor = clients[0]

        async def all_reminded():
            histories = {c: (await survivor.get(f"/cases/{c}/history")).json() for c in ids}
            return all(_reminder_keys(h) for h in histories.values())

        # a killed worker's tasks are handed on only when their timeouts pass
        await eventually(all_reminded, timeout=300, interval=1)
        await asyncio.sleep(3)  # time for any duplicate to show
        histories = await _check_histories(survivor, ids, acknowledged)
        for history in histories.values():
            keys = _reminder_keys(history)
            assert keys and len(keys) == len(set(keys)), keys
        # The survivors carry on: a new command through the surviving API is recorded.
        await _burst([survivor], ids[:1], 1, acknowledged)
        await _check_histories(survivor, ids, acknowledged)
    finally:
        for client in clients:
            await client.aclose()


async def _ready(process: subprocess.Popen, client: httpx.AsyncClient, logs: Path) -> bool:
    """Whether the API answers ready; an API that died at start-up fails the test at once."""
    if process.poll() is not None:
        tails = {log.name: log.read_text()[-2000:] for log in logs.glob("*.log")}
        pytest.fail(f"an API process exited with {process.returncode} at start-up: {tails}")
    try:
        return (await client.get("/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False
