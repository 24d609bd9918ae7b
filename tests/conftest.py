"""Real parts for every test: a Temporal dev server, SQLite files, PostgreSQL.

PostgreSQL tests use 127.0.0.1:5432 when it answers; they skip on a machine
without it, except under CI=true, where a missing server is a failure.
"""

import json
import os
import random
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment

from deploy.run import temporal_binary
from domain.calendar import PolicyDuration
from services.bootstrap import Services, build_services
from services.cases.service import CaseService
from services.cases.workflow_contract import CASE_SEARCH_ATTRIBUTES
from services.identity.service import IdentityService, build_identity_service
from services.platform.settings import Settings
from tests.helpers import signing_key
from workflows.worker import build_worker

PG_URL = os.environ.get("CASEWORK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


WHOLE_SERVICE = pytest.mark.xdist_group("whole service")
"""For tests that start the whole service (`casework run`: a dev server, the API, workers).

`make test` runs the suite with pytest-xdist's `--dist loadgroup`: tests marked with this
run one at a time in one worker, so two whole services never compete for the machine
while one of them is timed (test_make_run asserts a start within a minute)."""

TEST_POLICY_LIMITS = dict(shortest_reminder_interval="PT1S", webhook_allowed_hosts="127.0.0.1")
LOOPBACK = frozenset({"127.0.0.1"})


PORT_BLOCK = 1000
FIRST_PORT = 20000  # below the kernel's ephemeral range (32768 up), which bind(0) uses
_handed_out: set[int] = set()


def _worker_number() -> int:
    """0 for a run without pytest-xdist or its first worker (gw0), 1 for gw1, and so on."""
    return int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def _port_block() -> range:
    start = FIRST_PORT + (_worker_number() % 12) * PORT_BLOCK
    return range(start, start + PORT_BLOCK)


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A loopback port nothing listens on, never handed out before in this process.

    Tests ask for a port and bind it a little later (a server, a dev server, a child
    process). Under pytest-xdist each worker takes its ports from its own block of a
    thousand (gw0 from 20000, gw1 from 21000, ...), so two workers never pick the same
    port in that gap; a random start in the block keeps two test runs on one machine
    apart, and nothing the kernel hands out for bind(0) falls in these blocks.
    """
    block = _port_block()
    start = random.randrange(len(block))
    for offset in range(len(block)):
        port = block[(start + offset) % len(block)]
        if port not in _handed_out and _free(port):
            _handed_out.add(port)
            return port
    _handed_out.clear()  # every port of the block used once: start again
    return free_port()


def postgres_available() -> bool:
    try:
        with psycopg.connect(PG_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not postgres_available():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but PostgreSQL does not answer at {PG_URL}")
        pytest.skip(f"PostgreSQL does not answer at {PG_URL}")
    return PG_URL


@pytest.fixture
def postgres_schema(postgres_url: str) -> Iterator[str]:
    """A throwaway schema, dropped after the test."""
    schema = f"casework_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for one store; every test that takes it runs on both stores.

    Region policies may remind every second and post to a webhook on loopback (the
    tests' receiver): a service left to its defaults refuses both (services/policy/service.py).
    """
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "var", store="sqlite", **TEST_POLICY_LIMITS)
    schema = request.getfixturevalue("postgres_schema")
    url = request.getfixturevalue("postgres_url")
    return Settings(data_dir=tmp_path / "var", store="postgres", postgres_url=url,
                    postgres_schema=schema, **TEST_POLICY_LIMITS)


@pytest.fixture
def cases(settings: Settings) -> Iterator[CaseService]:
    service = CaseService(settings.eventsourcing_env(),
                          diagnosis_deadline=PolicyDuration.parse("PT2S"))
    yield service
    service.close()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """One process's services, built as the API and the worker build theirs, on the
    test's store, with a diagnosis deadline of two seconds."""
    built = build_services(settings.model_copy(update={"diagnosis_deadline": "PT2S"}))
    yield built
    built.close()


@pytest.fixture
def identity(settings: Settings) -> Iterator[IdentityService]:
    """Users and tokens on the same store as the test's cases."""
    service = build_identity_service(settings)
    yield service
    service.close()


@pytest.fixture(scope="session")
async def temporal() -> Iterator[WorkflowEnvironment]:
    """One Temporal dev server per test process (each pytest-xdist worker has its own),
    on ports from the worker's block, so workers never share one."""
    env = await WorkflowEnvironment.start_local(
        port=free_port(), dev_server_existing_path=temporal_binary(),
        dev_server_log_level="error",
        dev_server_extra_args=["--http-port", str(free_port()),
                               "--metrics-port", str(free_port())],
        search_attributes=[SearchAttributeKey.for_keyword(n) for n in CASE_SEARCH_ATTRIBUTES],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def worker(temporal: WorkflowEnvironment, cases: CaseService, task_queue: str):
    """A real worker for this test's store on its own task queue."""
    with ThreadPoolExecutor(max_workers=4) as executor:
        async with build_worker(temporal.client, cases, task_queue, executor,
                                index_cases=True) as running:
            yield running


@pytest.fixture
def client(temporal: WorkflowEnvironment) -> Client:
    return temporal.client


@pytest.fixture(scope="module")
def provider():
    """An OIDC identity provider: a real local HTTP server publishing its signing key as a
    JWKS. Yields the private key (sign with tests.helpers.id_token) and the JWKS URL."""
    private, jwk = signing_key("key-1")
    body = json.dumps({"keys": [jwk]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield private, f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    server.shutdown()
